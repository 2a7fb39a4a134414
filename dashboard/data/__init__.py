"""Every query the dashboard makes. Pages hold no SQL; they call these functions.

- ``snapshots``: which snapshot to read, the read-only connection to it;
- ``access``: who may see what, enforced where the data is read (the security boundary, one
  file a reviewer can read alone);
- one query module per page area: ``overview``, ``watchlist``, ``drilldown``, ``person``,
  ``quality``, ``admin`` (the audit log, imports from the dashboard).

Query results are cached (``st.cache_data``) keyed on the snapshot path, so a new snapshot means
fresh numbers and an old one costs nothing. Money stays DECIMAL: sums are fetched as
``decimal.Decimal`` (``fetchall``), never through float.
"""

from dashboard.data.access import (  # noqa: F401
    ACCESS_KEY,
    AccessDenied,
    NotSignedIn,
    OutOfScope,
    RoleDenied,
    access,
    acting_as,
    at_least,
    audit,
    guarded,
    household_in_region,
    in_region,
    lab_scope,
    names_for,
    national,
    national_admin,
    open_to_all,
    person_in_region,
    person_token,
    rows_in_region,
)
from dashboard.data.admin import (  # noqa: F401
    IMPORT_TIMEOUT,
    UPLOAD_SUFFIXES,
    ImportRun,
    audit_log,
    audit_users,
    download_log,
    run_import,
)
from dashboard.data.drilldown import (  # noqa: F401
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    REGION_COLUMNS,
    VILLAGE_LEVEL,
    household_members,
    household_year_row,
    region_ancestors,
    region_children,
    region_level,
    region_path,
    village_households,
)
from dashboard.data.overview import (  # noqa: F401
    BREAKDOWN_COLUMNS,
    FOLLOW_UP_DAYS,
    FUNNEL_STAGES,
    OOP_LINE,
    PARTICIPATION_TARGET,
    PROVINCE_COLUMNS,
    SEVERITIES,
    STALE_AFTER,
    WAITING_COLUMNS,
    Assistance,
    LastImport,
    NationalBuild,
    RegionFigures,
    Totals,
    attention_by_township,
    case_funnel,
    category_labels,
    code_labels,
    default_year,
    is_demo,
    is_national,
    last_import,
    list_trend,
    national_build,
    overview_by_province,
    overview_totals,
    people_by_category,
    region_assistance,
    region_breakdown,
    region_figures,
    regions,
    waiting_cases,
    watch_by_rule,
    watch_flagged,
    week_changes,
    week_leavers,
    years,
)
from dashboard.data.person import (  # noqa: F401
    CHANGE_COLUMNS,
    CLAIM_COLUMNS,
    FLAG_COLUMNS,
    FUND_LAYERS,
    HISTORY_COLUMNS,
    SEARCH_LIMIT,
    Person,
    PersonPage,
    find_person,
    person_changes,
    person_claims,
    person_flag_history,
    person_flags,
    person_page,
    person_watch,
    person_year_row,
    person_year_rows,
    person_years,
    place_names,
    search_people,
    search_terms,
)
from dashboard.data.policy import policy_parameters, policy_whatif  # noqa: F401
from dashboard.data.quality import (  # noqa: F401
    EXPORT_LOG_COLUMNS,
    PROVINCE_PUBLISH_COLUMNS,
    RETURN_LOG_COLUMNS,
    UNUSUAL_COLUMNS,
    export_log,
    imports_table,
    province_publishes,
    quiet_weeks,
    reject_examples,
    reject_reasons,
    return_log,
    unknown_divisions,
    unmatched_claims,
    unusual_weeks,
)
from dashboard.data.snapshots import (  # noqa: F401
    DB_ENV,
    DEFAULT_DB,
    READER_CONFIG,
    READER_MEMORY_LIMIT,
    NoSnapshot,
    PointerWatch,
    current,
    cursor,
    db_path,
    snapshot_problem,
)
from dashboard.data.watchlist import (  # noqa: F401
    LIST_ACTIONS,
    MIN_REASON,
    STAGE_FILTERS,
    WATCH_COLUMNS,
    WATCH_LIMIT,
    download_file,
    full_id_file,
    record_download,
    watch_categories,
    watch_rules,
    watch_years,
    watchlist_file,
    watchlist_households,
    watchlist_page,
)

# The one query of the snapshot follower that pages call with the store's path: open to all.
open_to_all(snapshot_problem)
from dashboard.data.warm import keep_warm, warm  # noqa: E402, F401
