# Ingest sources (sources/): the `BatchSource` interface and its CSV, JSON lines, Parquet and SQL
# (SQLite, PostgreSQL) implementations. Only sources/*.cc include sqlite3.h and libpq-fe.h.
list(APPEND LAKE_HDRS sources/batch_source.h sources/json_lines_source.h sources/parquet_source.h
     sources/sql_source.h)
list(APPEND LAKE_SRCS sources/batch_source.cc sources/json_lines_source.cc
     sources/parquet_source.cc sources/sql_source.cc)
list(APPEND LAKE_PRIVATE_DEPS SQLite::SQLite3 PostgreSQL::PostgreSQL)
