// Runs SQL statements with an in-memory DuckDB (@duckdb/node-api) and prints the rows of the last
// statement's result as JSON lines, one JSON array per row, columns in order, in a canonical form:
//   NULL -> null; BOOLEAN -> true/false; integers -> exact integer digits (no 2^53 rounding);
//   FLOAT/DOUBLE -> shortest round-trip decimal (full precision), "NaN"/"Infinity"/"-Infinity"
//   as strings; VARCHAR -> JSON string; DATE -> days since 1970-01-01;
//   TIMESTAMP / TIMESTAMPTZ -> microseconds since the epoch (also for _S, _MS, _NS variants);
//   anything else -> its DuckDB text form as a JSON string.
// Usage: node tools/duckdb_query.js "SQL; SQL; ..."
// Exit 0 on success; 1 with DuckDB's message on stderr otherwise.
const duckdb = require("@duckdb/node-api");

function canonical(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (Number.isNaN(v)) return '"NaN"';
    if (v === Infinity) return '"Infinity"';
    if (v === -Infinity) return '"-Infinity"';
    if (Object.is(v, -0)) return "-0.0";
    return String(v);  // shortest representation that round-trips to the same double
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof duckdb.DuckDBDateValue) return String(v.days);
  if (v instanceof duckdb.DuckDBTimestampValue || v instanceof duckdb.DuckDBTimestampTZValue) {
    return v.micros.toString();
  }
  if (v instanceof duckdb.DuckDBTimestampMillisecondsValue) return (v.millis * 1000n).toString();
  if (v instanceof duckdb.DuckDBTimestampSecondsValue) return (v.seconds * 1000000n).toString();
  if (v instanceof duckdb.DuckDBTimestampNanosecondsValue) {
    // Floor division so that negative instants round towards minus infinity.
    let q = v.nanos / 1000n;
    if (v.nanos % 1000n < 0n) q -= 1n;
    return q.toString();
  }
  return JSON.stringify(String(v));
}

async function main() {
  const sql = process.argv[2];
  if (!sql) {
    console.error('usage: node duckdb_query.js "SQL"');
    process.exit(2);
  }
  const instance = await duckdb.DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(sql);
  const out = [];
  for (const row of reader.getRows()) {
    out.push("[" + row.map(canonical).join(",") + "]");
  }
  if (out.length > 0) process.stdout.write(out.join("\n") + "\n");
  connection.closeSync();
}

main().catch((err) => {
  console.error(`duckdb_query: ${err.message}`);
  process.exit(1);
});
