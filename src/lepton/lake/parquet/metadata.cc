#include "lepton/lake/parquet/metadata.h"

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/thrift.h"

namespace lepton::lake::parquet {

namespace {

// ---- serialization ----

void WriteStatistics(ThriftWriter& w, const Statistics& s) {
  w.StructBegin();
  if (s.max) w.FieldBinary(1, *s.max);
  if (s.min) w.FieldBinary(2, *s.min);
  if (s.null_count) w.FieldI64(3, *s.null_count);
  if (s.distinct_count) w.FieldI64(4, *s.distinct_count);
  if (s.max_value) w.FieldBinary(5, *s.max_value);
  if (s.min_value) w.FieldBinary(6, *s.min_value);
  w.StructEnd();
}

void WriteLogicalType(ThriftWriter& w, const LogicalType& t) {
  w.StructBegin();
  w.FieldStruct(static_cast<int16_t>(t.kind));
  w.StructBegin();
  if (t.kind == kLogicalTimestamp || t.kind == kLogicalTime) {
    w.FieldBool(1, t.is_adjusted_to_utc);
    w.FieldStruct(2);
    w.StructBegin();  // TimeUnit union
    w.FieldStruct(static_cast<int16_t>(t.time_unit));
    w.StructBegin();
    w.StructEnd();
    w.StructEnd();
  }  // Other kinds (STRING, DATE) are empty structs; INTEGER and DECIMAL are never written.
  w.StructEnd();
  w.StructEnd();
}

void WriteSchemaElement(ThriftWriter& w, const SchemaElement& e) {
  w.StructBegin();
  if (e.type) w.FieldI32(1, *e.type);
  if (e.type_length) w.FieldI32(2, *e.type_length);
  if (e.repetition_type) w.FieldI32(3, *e.repetition_type);
  w.FieldBinary(4, e.name);
  if (e.num_children) w.FieldI32(5, *e.num_children);
  if (e.converted_type) w.FieldI32(6, *e.converted_type);
  if (e.scale) w.FieldI32(7, *e.scale);
  if (e.precision) w.FieldI32(8, *e.precision);
  if (e.field_id) w.FieldI32(9, *e.field_id);
  if (e.logical_type) {
    w.FieldStruct(10);
    WriteLogicalType(w, *e.logical_type);
  }
  w.StructEnd();
}

void WriteColumnMetaData(ThriftWriter& w, const ColumnMetaData& m) {
  w.StructBegin();
  w.FieldI32(1, m.type);
  w.FieldList(2, ThriftType::kI32, static_cast<int64_t>(m.encodings.size()));
  for (int32_t e : m.encodings) w.ElementI32(e);
  w.FieldList(3, ThriftType::kBinary, static_cast<int64_t>(m.path_in_schema.size()));
  for (const auto& p : m.path_in_schema) w.ElementBinary(p);
  w.FieldI32(4, m.codec);
  w.FieldI64(5, m.num_values);
  w.FieldI64(6, m.total_uncompressed_size);
  w.FieldI64(7, m.total_compressed_size);
  w.FieldI64(9, m.data_page_offset);
  if (m.index_page_offset) w.FieldI64(10, *m.index_page_offset);
  if (m.dictionary_page_offset) w.FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) {
    w.FieldStruct(12);
    WriteStatistics(w, *m.statistics);
  }
  w.StructEnd();
}

void WriteRowGroup(ThriftWriter& w, const RowGroup& g) {
  w.StructBegin();
  w.FieldList(1, ThriftType::kStruct, static_cast<int64_t>(g.columns.size()));
  for (const ColumnChunk& c : g.columns) {
    w.StructBegin();
    if (c.file_path) w.FieldBinary(1, *c.file_path);
    w.FieldI64(2, c.file_offset);
    if (c.meta_data) {
      w.FieldStruct(3);
      WriteColumnMetaData(w, *c.meta_data);
    }
    w.StructEnd();
  }
  w.FieldI64(2, g.total_byte_size);
  w.FieldI64(3, g.num_rows);
  if (g.file_offset) w.FieldI64(5, *g.file_offset);
  if (g.total_compressed_size) w.FieldI64(6, *g.total_compressed_size);
  // `ordinal` (an i16) is read but never written.
  w.StructEnd();
}

// ---- parsing ----

template <typename F>
absl::Status ReadStruct(ThriftReader& r, F&& on_field) {
  LEPTON_RETURN_IF_ERROR(r.StructBegin());
  for (;;) {
    int16_t id;
    ThriftType t;
    LEPTON_RETURN_IF_ERROR(r.FieldHeader(&id, &t));
    if (t == ThriftType::kStop) break;
    LEPTON_RETURN_IF_ERROR(on_field(id, t));
  }
  r.StructEnd();
  return absl::OkStatus();
}

template <typename F>
absl::Status ReadList(ThriftReader& r, ThriftType t, F&& on_element) {
  ThriftType et;
  int64_t n;
  LEPTON_RETURN_IF_ERROR(r.ReadListHeader(t, &et, &n));
  for (int64_t i = 0; i < n; ++i) LEPTON_RETURN_IF_ERROR(on_element(et));
  return absl::OkStatus();
}

absl::Status Missing(std::string_view strct, std::string_view field) {
  return absl::DataLossError(StrCat("parquet metadata: ", strct, " lacks required field ", field));
}

absl::Status ParseStatistics(ThriftReader& r, Statistics* s) {
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    switch (id) {
      case 1: { LEPTON_ASSIGN_OR_RETURN(s->max, r.ReadBinary(t)); return absl::OkStatus(); }
      case 2: { LEPTON_ASSIGN_OR_RETURN(s->min, r.ReadBinary(t)); return absl::OkStatus(); }
      case 3: { LEPTON_ASSIGN_OR_RETURN(s->null_count, r.ReadInt(t)); return absl::OkStatus(); }
      case 4: { LEPTON_ASSIGN_OR_RETURN(s->distinct_count, r.ReadInt(t)); return absl::OkStatus(); }
      case 5: { LEPTON_ASSIGN_OR_RETURN(s->max_value, r.ReadBinary(t)); return absl::OkStatus(); }
      case 6: { LEPTON_ASSIGN_OR_RETURN(s->min_value, r.ReadBinary(t)); return absl::OkStatus(); }
      default: return r.Skip(t);
    }
  });
}

// Reads a union struct and returns the id of its (first) set field, skipping its value unless
// `on_member` handles it.
template <typename F>
absl::Status ReadUnion(ThriftReader& r, int* kind, F&& on_member) {
  *kind = 0;
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    if (*kind == 0) *kind = id;
    if (t != ThriftType::kStruct) return r.Skip(t);
    return on_member(id, t);
  });
}

absl::Status ParseLogicalType(ThriftReader& r, LogicalType* lt) {
  return ReadUnion(r, &lt->kind, [&](int16_t id, ThriftType t) -> absl::Status {
    if (id == kLogicalTimestamp || id == kLogicalTime) {
      return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> absl::Status {
        if (fid == 1) {
          LEPTON_ASSIGN_OR_RETURN(lt->is_adjusted_to_utc, r.ReadBool(ft));
          return absl::OkStatus();
        }
        if (fid == 2 && ft == ThriftType::kStruct) {
          return ReadUnion(r, &lt->time_unit,
                           [&](int16_t, ThriftType ut) { return r.Skip(ut); });
        }
        return r.Skip(ft);
      });
    }
    if (id == kLogicalInteger) {
      return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> absl::Status {
        if (fid == 1) {
          LEPTON_ASSIGN_OR_RETURN(int64_t bw, r.ReadInt(ft));
          lt->bit_width = static_cast<int>(bw);
          return absl::OkStatus();
        }
        if (fid == 2) {
          LEPTON_ASSIGN_OR_RETURN(lt->is_signed, r.ReadBool(ft));
          return absl::OkStatus();
        }
        return r.Skip(ft);
      });
    }
    return r.Skip(t);
  });
}

absl::Status ParseSchemaElement(ThriftReader& r, SchemaElement* e) {
  bool has_name = false;
  LEPTON_RETURN_IF_ERROR(ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    switch (id) {
      case 1: { LEPTON_ASSIGN_OR_RETURN(e->type, r.ReadI32(t)); return absl::OkStatus(); }
      case 2: { LEPTON_ASSIGN_OR_RETURN(e->type_length, r.ReadI32(t)); return absl::OkStatus(); }
      case 3: { LEPTON_ASSIGN_OR_RETURN(e->repetition_type, r.ReadI32(t)); return absl::OkStatus(); }
      case 4: {
        has_name = true;
        LEPTON_ASSIGN_OR_RETURN(e->name, r.ReadBinary(t));
        return absl::OkStatus();
      }
      case 5: { LEPTON_ASSIGN_OR_RETURN(e->num_children, r.ReadI32(t)); return absl::OkStatus(); }
      case 6: { LEPTON_ASSIGN_OR_RETURN(e->converted_type, r.ReadI32(t)); return absl::OkStatus(); }
      case 7: { LEPTON_ASSIGN_OR_RETURN(e->scale, r.ReadI32(t)); return absl::OkStatus(); }
      case 8: { LEPTON_ASSIGN_OR_RETURN(e->precision, r.ReadI32(t)); return absl::OkStatus(); }
      case 9: { LEPTON_ASSIGN_OR_RETURN(e->field_id, r.ReadI32(t)); return absl::OkStatus(); }
      case 10:
        if (t != ThriftType::kStruct) return r.Skip(t);
        e->logical_type.emplace();
        return ParseLogicalType(r, &*e->logical_type);
      default: return r.Skip(t);
    }
  }));
  if (!has_name) return Missing("SchemaElement", "name");
  return absl::OkStatus();
}

absl::Status ParseColumnMetaData(ThriftReader& r, ColumnMetaData* m) {
  uint32_t seen = 0;
  LEPTON_RETURN_IF_ERROR(ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    if (id >= 1 && id <= 9) seen |= 1u << id;
    switch (id) {
      case 1: { LEPTON_ASSIGN_OR_RETURN(m->type, r.ReadI32(t)); return absl::OkStatus(); }
      case 2:
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          LEPTON_ASSIGN_OR_RETURN(int32_t e, r.ReadI32(et));
          m->encodings.push_back(e);
          return absl::OkStatus();
        });
      case 3:
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          LEPTON_ASSIGN_OR_RETURN(std::string p, r.ReadBinary(et));
          m->path_in_schema.push_back(std::move(p));
          return absl::OkStatus();
        });
      case 4: { LEPTON_ASSIGN_OR_RETURN(m->codec, r.ReadI32(t)); return absl::OkStatus(); }
      case 5: { LEPTON_ASSIGN_OR_RETURN(m->num_values, r.ReadInt(t)); return absl::OkStatus(); }
      case 6: { LEPTON_ASSIGN_OR_RETURN(m->total_uncompressed_size, r.ReadInt(t)); return absl::OkStatus(); }
      case 7: { LEPTON_ASSIGN_OR_RETURN(m->total_compressed_size, r.ReadInt(t)); return absl::OkStatus(); }
      case 9: { LEPTON_ASSIGN_OR_RETURN(m->data_page_offset, r.ReadInt(t)); return absl::OkStatus(); }
      case 10: { LEPTON_ASSIGN_OR_RETURN(m->index_page_offset, r.ReadInt(t)); return absl::OkStatus(); }
      case 11: { LEPTON_ASSIGN_OR_RETURN(m->dictionary_page_offset, r.ReadInt(t)); return absl::OkStatus(); }
      case 12:
        if (t != ThriftType::kStruct) return r.Skip(t);
        m->statistics.emplace();
        return ParseStatistics(r, &*m->statistics);
      default: return r.Skip(t);
    }
  }));
  for (int id : {1, 4, 5, 7, 9}) {
    if ((seen & (1u << id)) == 0) return Missing("ColumnMetaData", StrCat("#", id));
  }
  return absl::OkStatus();
}

absl::Status ParseRowGroup(ThriftReader& r, RowGroup* g) {
  bool has_rows = false;
  LEPTON_RETURN_IF_ERROR(ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    switch (id) {
      case 1:
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          if (et != ThriftType::kStruct) return absl::DataLossError("bad ColumnChunk list");
          ColumnChunk& c = g->columns.emplace_back();
          return ReadStruct(r, [&](int16_t cid, ThriftType ct) -> absl::Status {
            switch (cid) {
              case 1: { LEPTON_ASSIGN_OR_RETURN(c.file_path, r.ReadBinary(ct)); return absl::OkStatus(); }
              case 2: { LEPTON_ASSIGN_OR_RETURN(c.file_offset, r.ReadInt(ct)); return absl::OkStatus(); }
              case 3:
                if (ct != ThriftType::kStruct) return r.Skip(ct);
                c.meta_data.emplace();
                return ParseColumnMetaData(r, &*c.meta_data);
              default: return r.Skip(ct);
            }
          });
        });
      case 2: { LEPTON_ASSIGN_OR_RETURN(g->total_byte_size, r.ReadInt(t)); return absl::OkStatus(); }
      case 3: {
        has_rows = true;
        LEPTON_ASSIGN_OR_RETURN(g->num_rows, r.ReadInt(t));
        return absl::OkStatus();
      }
      case 5: { LEPTON_ASSIGN_OR_RETURN(g->file_offset, r.ReadInt(t)); return absl::OkStatus(); }
      case 6: { LEPTON_ASSIGN_OR_RETURN(g->total_compressed_size, r.ReadInt(t)); return absl::OkStatus(); }
      case 7: { LEPTON_ASSIGN_OR_RETURN(g->ordinal, r.ReadI32(t)); return absl::OkStatus(); }
      default: return r.Skip(t);
    }
  }));
  if (!has_rows) return Missing("RowGroup", "num_rows");
  return absl::OkStatus();
}

absl::Status ParseStatisticsField(ThriftReader& r, ThriftType t, std::optional<Statistics>* s) {
  if (t != ThriftType::kStruct) return r.Skip(t);
  s->emplace();
  return ParseStatistics(r, &**s);
}

}  // namespace

void SerializeFileMetaData(const FileMetaData& m, std::string* out) {
  ThriftWriter w(out);
  w.StructBegin();
  w.FieldI32(1, m.version);
  w.FieldList(2, ThriftType::kStruct, static_cast<int64_t>(m.schema.size()));
  for (const auto& e : m.schema) WriteSchemaElement(w, e);
  w.FieldI64(3, m.num_rows);
  w.FieldList(4, ThriftType::kStruct, static_cast<int64_t>(m.row_groups.size()));
  for (const auto& g : m.row_groups) WriteRowGroup(w, g);
  if (!m.key_value_metadata.empty()) {
    w.FieldList(5, ThriftType::kStruct, static_cast<int64_t>(m.key_value_metadata.size()));
    for (const auto& kv : m.key_value_metadata) {
      w.StructBegin();
      w.FieldBinary(1, kv.key);
      if (kv.value) w.FieldBinary(2, *kv.value);
      w.StructEnd();
    }
  }
  if (m.created_by) w.FieldBinary(6, *m.created_by);
  if (!m.column_orders.empty()) {
    w.FieldList(7, ThriftType::kStruct, static_cast<int64_t>(m.column_orders.size()));
    for (int kind : m.column_orders) {
      w.StructBegin();
      w.FieldStruct(static_cast<int16_t>(kind));
      w.StructBegin();
      w.StructEnd();
      w.StructEnd();
    }
  }
  w.StructEnd();
}

void SerializePageHeader(const PageHeader& h, std::string* out) {
  ThriftWriter w(out);
  w.StructBegin();
  w.FieldI32(1, h.type);
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.FieldStruct(5);
    w.StructBegin();
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.encoding);
    w.FieldI32(3, d.definition_level_encoding);
    w.FieldI32(4, d.repetition_level_encoding);
    if (d.statistics) {
      w.FieldStruct(5);
      WriteStatistics(w, *d.statistics);
    }
    w.StructEnd();
  }
  if (h.dictionary_page_header) {
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    w.FieldStruct(7);
    w.StructBegin();
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.encoding);
    if (d.is_sorted) w.FieldBool(3, *d.is_sorted);
    w.StructEnd();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    w.FieldStruct(8);
    w.StructBegin();
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.num_nulls);
    w.FieldI32(3, d.num_rows);
    w.FieldI32(4, d.encoding);
    w.FieldI32(5, d.definition_levels_byte_length);
    w.FieldI32(6, d.repetition_levels_byte_length);
    w.FieldBool(7, d.is_compressed);
    if (d.statistics) {
      w.FieldStruct(8);
      WriteStatistics(w, *d.statistics);
    }
    w.StructEnd();
  }
  w.StructEnd();
}

absl::StatusOr<FileMetaData> ParseFileMetaData(std::string_view data) {
  ThriftReader r(data);
  FileMetaData m;
  bool has_schema = false, has_rows = false, has_groups = false;
  absl::Status s = ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    switch (id) {
      case 1: { LEPTON_ASSIGN_OR_RETURN(m.version, r.ReadI32(t)); return absl::OkStatus(); }
      case 2:
        has_schema = true;
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          if (et != ThriftType::kStruct) return absl::DataLossError("bad SchemaElement list");
          return ParseSchemaElement(r, &m.schema.emplace_back());
        });
      case 3: {
        has_rows = true;
        LEPTON_ASSIGN_OR_RETURN(m.num_rows, r.ReadInt(t));
        return absl::OkStatus();
      }
      case 4:
        has_groups = true;
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          if (et != ThriftType::kStruct) return absl::DataLossError("bad RowGroup list");
          return ParseRowGroup(r, &m.row_groups.emplace_back());
        });
      case 5:
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          if (et != ThriftType::kStruct) return absl::DataLossError("bad KeyValue list");
          KeyValue& kv = m.key_value_metadata.emplace_back();
          return ReadStruct(r, [&](int16_t kid, ThriftType kt) -> absl::Status {
            if (kid == 1) {
              LEPTON_ASSIGN_OR_RETURN(kv.key, r.ReadBinary(kt));
              return absl::OkStatus();
            }
            if (kid == 2) {
              LEPTON_ASSIGN_OR_RETURN(kv.value, r.ReadBinary(kt));
              return absl::OkStatus();
            }
            return r.Skip(kt);
          });
        });
      case 6: { LEPTON_ASSIGN_OR_RETURN(m.created_by, r.ReadBinary(t)); return absl::OkStatus(); }
      case 7:
        return ReadList(r, t, [&](ThriftType et) -> absl::Status {
          if (et != ThriftType::kStruct) return absl::DataLossError("bad ColumnOrder list");
          int kind = 0;
          LEPTON_RETURN_IF_ERROR(
              ReadUnion(r, &kind, [&](int16_t, ThriftType ut) { return r.Skip(ut); }));
          m.column_orders.push_back(kind);
          return absl::OkStatus();
        });
      default:
        return r.Skip(t);
    }
  });
  if (!s.ok()) return Annotate(s, "parsing parquet footer");
  if (!has_schema || !has_rows || !has_groups) {
    return absl::DataLossError("parsing parquet footer: FileMetaData lacks schema, num_rows or row_groups");
  }
  return m;
}

absl::StatusOr<PageHeader> ParsePageHeader(std::string_view data, size_t* consumed) {
  ThriftReader r(data);
  PageHeader h;
  uint32_t seen = 0;
  absl::Status s = ReadStruct(r, [&](int16_t id, ThriftType t) -> absl::Status {
    if (id >= 1 && id <= 3) seen |= 1u << id;
    switch (id) {
      case 1: { LEPTON_ASSIGN_OR_RETURN(h.type, r.ReadI32(t)); return absl::OkStatus(); }
      case 2: { LEPTON_ASSIGN_OR_RETURN(h.uncompressed_page_size, r.ReadI32(t)); return absl::OkStatus(); }
      case 3: { LEPTON_ASSIGN_OR_RETURN(h.compressed_page_size, r.ReadI32(t)); return absl::OkStatus(); }
      case 4: { LEPTON_ASSIGN_OR_RETURN(h.crc, r.ReadI32(t)); return absl::OkStatus(); }
      case 5: {
        if (t != ThriftType::kStruct) return r.Skip(t);
        DataPageHeader& d = h.data_page_header.emplace();
        return ReadStruct(r, [&](int16_t did, ThriftType dt) -> absl::Status {
          switch (did) {
            case 1: { LEPTON_ASSIGN_OR_RETURN(d.num_values, r.ReadI32(dt)); return absl::OkStatus(); }
            case 2: { LEPTON_ASSIGN_OR_RETURN(d.encoding, r.ReadI32(dt)); return absl::OkStatus(); }
            case 3: { LEPTON_ASSIGN_OR_RETURN(d.definition_level_encoding, r.ReadI32(dt)); return absl::OkStatus(); }
            case 4: { LEPTON_ASSIGN_OR_RETURN(d.repetition_level_encoding, r.ReadI32(dt)); return absl::OkStatus(); }
            case 5: return ParseStatisticsField(r, dt, &d.statistics);
            default: return r.Skip(dt);
          }
        });
      }
      case 7: {
        if (t != ThriftType::kStruct) return r.Skip(t);
        DictionaryPageHeader& d = h.dictionary_page_header.emplace();
        return ReadStruct(r, [&](int16_t did, ThriftType dt) -> absl::Status {
          switch (did) {
            case 1: { LEPTON_ASSIGN_OR_RETURN(d.num_values, r.ReadI32(dt)); return absl::OkStatus(); }
            case 2: { LEPTON_ASSIGN_OR_RETURN(d.encoding, r.ReadI32(dt)); return absl::OkStatus(); }
            case 3: { LEPTON_ASSIGN_OR_RETURN(d.is_sorted, r.ReadBool(dt)); return absl::OkStatus(); }
            default: return r.Skip(dt);
          }
        });
      }
      case 8: {
        if (t != ThriftType::kStruct) return r.Skip(t);
        DataPageHeaderV2& d = h.data_page_header_v2.emplace();
        return ReadStruct(r, [&](int16_t did, ThriftType dt) -> absl::Status {
          switch (did) {
            case 1: { LEPTON_ASSIGN_OR_RETURN(d.num_values, r.ReadI32(dt)); return absl::OkStatus(); }
            case 2: { LEPTON_ASSIGN_OR_RETURN(d.num_nulls, r.ReadI32(dt)); return absl::OkStatus(); }
            case 3: { LEPTON_ASSIGN_OR_RETURN(d.num_rows, r.ReadI32(dt)); return absl::OkStatus(); }
            case 4: { LEPTON_ASSIGN_OR_RETURN(d.encoding, r.ReadI32(dt)); return absl::OkStatus(); }
            case 5: { LEPTON_ASSIGN_OR_RETURN(d.definition_levels_byte_length, r.ReadI32(dt)); return absl::OkStatus(); }
            case 6: { LEPTON_ASSIGN_OR_RETURN(d.repetition_levels_byte_length, r.ReadI32(dt)); return absl::OkStatus(); }
            case 7: { LEPTON_ASSIGN_OR_RETURN(d.is_compressed, r.ReadBool(dt)); return absl::OkStatus(); }
            case 8: return ParseStatisticsField(r, dt, &d.statistics);
            default: return r.Skip(dt);
          }
        });
      }
      default:
        return r.Skip(t);
    }
  });
  if (!s.ok()) return Annotate(s, "parsing parquet page header");
  if (seen != 0b1110) return absl::DataLossError("parquet page header lacks type or sizes");
  if (h.uncompressed_page_size < 0 || h.compressed_page_size < 0) {
    return absl::DataLossError("parquet page header has a negative size");
  }
  if (consumed != nullptr) *consumed = r.position();
  return h;
}

}  // namespace lepton::lake::parquet
