#!/usr/bin/env bash
# Installs what the Spark tests need from Debian's packages: a Java 17 runtime for pyspark's
# local SparkSession (pyspark itself comes from the package index with `uv sync`). Safe to run
# again: it installs only what is missing.
set -euo pipefail
if command -v java >/dev/null 2>&1 && java -version 2>&1 | grep -q 'version "17'; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
java -version
