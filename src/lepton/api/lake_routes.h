#pragma once
// REST routes of the data lake under /api/v1/lake/: namespaces, datasets (catalog entries),
// CSV ingest (the request body is the file), versions, lineage and scans. Permissions come from
// `auth`: dataset.write to change a namespace or dataset, read to see it; listings show only
// what the caller may read. Registered by the server at start-up.

#include <string>

#include "lepton/api/router.h"
#include "lepton/jobs/job_runner.h"
#include "lepton/lake/lake.h"

namespace lepton::api {

// `lake` and `jobs` must outlive `router`. Uploaded files are staged in `upload_dir` (created if
// needed) and removed after the ingest. Ingest with `async=true` runs as a job of `jobs` (202
// with the job; its progress field tracks bytes and rows). Scans are streamed: the scan runs on
// a thread of its own per request (`BodyPipe`) that captures copies, never `lake`, and is
// joined when the response ends (docs/api.md has the wire contract).
void AddLakeRoutes(Router& router, lake::Lake& lake, jobs::JobRunner& jobs, std::string upload_dir);

// A scan result as JSON: {"schema": {...}, "columns": [names], "rows": [[v, …], …]} with dates
// as "YYYY-MM-DD" and timestamps as RFC 3339 strings.
Json BatchRowsToJson(const lake::RecordBatch& batch);
// Appends `batch` as CSV rows (RFC 4180 quoting; nulls as empty fields) to `out`.
void AppendCsvRows(const lake::RecordBatch& batch, std::string* out);

}  // namespace lepton::api
