# Ingest sources: CSV adapter, JSON lines, Parquet, SQLite and PostgreSQL (the latter through
# LEPTON_TEST_POSTGRES_URL, e.g. under tools/with-postgres.sh; skipped when unset unless
# LEPTON_REQUIRE_POSTGRES=1).
lepton_cc_test(NAME lake_sources_test
  SRCS sources/batch_source_test.cc sources/json_lines_source_test.cc
       sources/parquet_source_test.cc sources/sql_source_test.cc
  DEPS lepton::lake lepton::base_testing SQLite::SQLite3 PostgreSQL::PostgreSQL)
if(TARGET lepton_lake_sources_test)
  target_compile_definitions(lepton_lake_sources_test PRIVATE
    LEPTON_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
endif()
