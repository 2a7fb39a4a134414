-- reads: people, scope_people
-- person_keys: every known person's key, the first 16 hex of HMAC-SHA-256(secret, resident ID)
-- with the store's own secret (meta 'person_key_secret', made when the store is first opened;
-- macro person_key, see pipeline/store/keys.py). Case keys of exports ({year}-{key}) and the
-- dashboard's links use it; without the secret a masked ID cannot be turned back into the full
-- one by hashing candidates. Kept, never rebuilt: an import adds the people new to it (scope_people,
-- pipeline/models/build.py: everyone, or after a weekly import the people it touched, as only they
-- can be new).
CREATE TABLE IF NOT EXISTS person_keys (person_id VARCHAR, token VARCHAR);

INSERT INTO person_keys
SELECT person_id, person_key(person_id)
FROM (SELECT DISTINCT person_id FROM scope_people)
ANTI JOIN person_keys USING (person_id)
ORDER BY 2;
