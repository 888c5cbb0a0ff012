import Foundation
import TributaryConfig

/// The descriptions of the output's tables and columns: the one source of the `docs` table every
/// run writes (`table_name`, `column_name` (NULL on the table's own row), `description`).
/// Docs/output-schema.md explains the same tables for people; a table or column added to the
/// writer or a stage needs its line here, or `OutputDocsTests` fails.
public enum OutputSchemaDocs {
    /// A table of every output that has it, with each of its fixed columns.
    public struct Table: Sendable {
        public var name: String
        public var description: String
        public var columns: KeyValuePairs<String, String>
    }

    /// What the pipeline adds to the fixed tables: its sources' tables, golden attributes and traits.
    public struct Pipeline: Sendable {
        public var sources: [SourceTable]
        /// `profiles:` attributes, with the `source.field`s each is chosen from.
        public var goldenAttributes: [(name: String, fields: [String])]
        /// `traits:`, with the description written in the pipeline file (if any).
        public var traits: [(name: String, description: String?)]

        public init(sources: [SourceTable], goldenAttributes: [(name: String, fields: [String])] = [],
                    traits: [(name: String, description: String?)] = []) {
            self.sources = sources
            self.goldenAttributes = goldenAttributes
            self.traits = traits
        }

        public init(_ definition: PipelineDefinition, sources: [SourceTable]) {
            self.sources = sources
            goldenAttributes = (definition.survivorship?.attributes ?? []).map { a in
                (a.name, a.fields.map { "\($0.source).\($0.field)" })
            }
            traits = definition.audience.traits.map { ($0.name, $0.description) }
        }
    }

    /// One row of `docs`.
    public struct Row: Sendable, Equatable {
        public var table: String
        public var column: String?
        public var description: String
    }

    /// The `docs` rows of an output holding `tables` (each with its columns, in order), for `pipeline`.
    /// A table or column without a description gets no row (the test over the sample outputs
    /// names it).
    public static func rows(tables: [(name: String, columns: [String])], pipeline: Pipeline) -> [Row] {
        let fixed = Dictionary(uniqueKeysWithValues: Self.tables.map { ($0.name, $0) })
        let sources = Dictionary(pipeline.sources.map { ($0.tableName, $0) }, uniquingKeysWith: { a, _ in a })
        let golden = Dictionary(pipeline.goldenAttributes.map { ($0.name, $0.fields) }, uniquingKeysWith: { a, _ in a })
        let traits = Dictionary(pipeline.traits.map { ($0.name, $0.description) }, uniquingKeysWith: { a, _ in a })
        var rows: [Row] = []
        for table in tables {
            if let source = sources[table.name] {
                rows.append(Row(table: table.name, column: nil,
                                description: "One loaded record of source `\(source.source)`, with one column per output field."))
                for column in table.columns {
                    if let system = sourceColumns.first(where: { $0.key == column })?.value {
                        rows.append(Row(table: table.name, column: column, description: system))
                    } else if let i = source.fields.firstIndex(of: column) {
                        rows.append(Row(table: table.name, column: column, description: sourceField(source, i)))
                    }
                }
                continue
            }
            guard let doc = fixed[table.name] else { continue }
            rows.append(Row(table: table.name, column: nil, description: doc.description))
            for column in table.columns {
                let description: String? =
                    doc.columns.first(where: { $0.key == column })?.value
                    ?? (table.name == "profiles"
                        ? builtInTraits.first(where: { $0.key == column })?.value
                            ?? golden[column].map { fields in
                                "Golden attribute (`profiles:` in the pipeline): the surviving value of "
                                    + fields.map { "`\($0)`" }.joined(separator: ", ") + "; its lineage is in `golden_values`."
                            }
                            ?? traits[column].map { written in
                                "Trait (`traits:` in the pipeline), evaluated at `runs.as_of`" + (written.map { ": \($0)" } ?? ".")
                            }
                        : nil)
                if let description { rows.append(Row(table: table.name, column: column, description: description)) }
            }
        }
        return rows
    }

    static func sourceField(_ source: SourceTable, _ i: Int) -> String {
        let type = i < source.types.count ? " (\(source.types[i]))" : ""
        let origin = source.declaredFields.contains(source.fields[i])
            ? "declared in `fields:`"
            : "not under `fields:` (a transform's output, a renamed field, or `group_line`'s number)"
        let key = source.keyFields.contains(source.fields[i]) ? "; part of the source's `key:`" : ""
        return "Field `\(source.fields[i])`\(type) of source `\(source.source)`, \(origin)\(key)."
    }

    /// The columns every `src_<source>` table starts with.
    public static let sourceColumns: KeyValuePairs<String, String> = [
        "_record_id": "The record's id within its source (`profile_records.record_id`).",
        "_run_id": "The run that loaded the record (always the latest: every run rebuilds these tables).",
        "_file_id": "The record's input file: `(_run_id, _file_id)` → `run_inputs(run_id, file_id)`.",
        "_line": "The physical line where the record starts in its file.",
    ]

    /// The built-in traits, columns of `profiles` with `activities:`.
    public static let builtInTraits: KeyValuePairs<String, String> = [
        "first_seen_at": "Built-in trait: the instant of the profile's first activity.",
        "last_seen_at": "Built-in trait: the instant of the profile's last activity.",
        "last_purchase_at": "Built-in trait: the instant of the profile's last purchase.",
        "lifetime_spend_cents": "Built-in trait: purchases plus returns (negative amounts), in cents; 0 without any.",
        "orders": "Built-in trait: distinct `order_id` of purchases.",
        "days_since_last_purchase": "Built-in trait: whole days from the last purchase to `runs.as_of`.",
        "rfm_recency": "Built-in trait: quintile score 1-5 (5 best) by `last_purchase_at`, among profiles with a purchase.",
        "rfm_frequency": "Built-in trait: quintile score 1-5 (5 best) by `orders`, among profiles with a purchase.",
        "rfm_monetary": "Built-in trait: quintile score 1-5 (5 best) by `lifetime_spend_cents`, among profiles with a purchase.",
        "rfm_score": "Built-in trait: the three RFM digits, e.g. `545`.",
    ]

    /// Every fixed table, with its fixed columns (`profiles` also has the pipeline's golden
    /// attributes and traits).
    public static let tables: [Table] = [
        Table(
            name: "docs", description: "This table: one row per table (`column_name` NULL) and per column of the output.",
            columns: [
                "table_name": "The table described.",
                "column_name": "The column described; NULL for the table's own row.",
                "description": "What one row of the table, or the column, holds.",
            ]),
        Table(
            name: "profiles", description: "One person, as identity resolution found them.",
            columns: [
                "profile_id": "The profile's id, stable across runs while its records stay together.",
                "records": "How many records the profile holds.",
                "sources": "The sources of its records, comma-separated.",
                "identified": "1, or 0 for a visitor: a profile holding only `anonymous: true` identifiers, or (with `attributes_identify: false`) a profile known only by a name. In no segment by default.",
            ]),
        Table(
            name: "golden_values", description: "One golden attribute of one profile, with its lineage.",
            columns: [
                "profile_id": "The profile (→ `profiles`).",
                "attribute": "The golden attribute (`profiles:` in the pipeline).",
                "value": "The surviving value.",
                "source": "The source of the record the value came from.",
                "record_id": "The record the value came from (→ `src_<source>._record_id`).",
                "candidates": "How many candidate values there were.",
            ]),
        Table(
            name: "profile_records", description: "One loaded record and the profile it joined.",
            columns: [
                "source": "The record's source.",
                "record_id": "The record (→ `src_<source>._record_id`).",
                "profile_id": "Its profile; NULL for a record that joined none (no identifier, link or matching value).",
                "linked_by": "The identifier type that linked it, `probabilistic`, or NULL for the record the profile grew from.",
                "record_key": "The record's natural key (`key:` fields joined by `:`); NULL without `key:`.",
            ]),
        Table(
            name: "identifiers", description: "One identifier value of a profile.",
            columns: [
                "profile_id": "The profile (→ `profiles`).",
                "type": "The identifier type (`identity.identifiers`).",
                "value": "The identifier value.",
                "records": "How many of the profile's records carry it.",
            ]),
        Table(
            name: "profile_id_changes", description: "One change of profile ids in a run (history kept).",
            columns: [
                "run_id": "The run (→ `runs`).",
                "profile_id": "The profile of this run.",
                "change": "`merged_from` (it absorbed the records of the previous profile) or `split_from`.",
                "previous_profile_id": "The profile id of the previous output.",
            ]),
        Table(
            name: "match_evidence", description: "One pair the probabilistic matcher scored above its threshold.",
            columns: [
                "a_source": "The source of the first entity's first record.",
                "a_record_id": "The first entity's first record.",
                "b_source": "The source of the second entity's first record.",
                "b_record_id": "The second entity's first record.",
                "probability": "The match probability.",
                "weight": "The match weight: prior weight + level weights + term-frequency adjustments.",
                "levels": "The level of each comparison (`first_name=1 last_name=2 …`; 0: a value missing, 1: exact).",
                "tf_adjustments": "What each term-frequency adjustment added to its exact level's weight; NULL when none applied.",
                "agreeing": "For each comparison above null and else, the two records whose values reached it.",
            ]),
        Table(
            name: "match_weight_histogram",
            description: "Every pair the matcher scored (linked or not), counted by match weight in bins one unit wide.",
            columns: [
                "bin_low": "The bin's lowest weight; NULL: every weight below the first bin.",
                "bin_high": "The weight the bin ends below; NULL: every weight from the last bin on.",
                "pairs": "The pairs scored in the bin.",
                "above_threshold": "Of them, the pairs at or above the threshold (vetoed ones included).",
            ]),
        Table(
            name: "match_blocking_rules", description: "One blocking rule of the matcher, in pipeline order, with the pairs it made.",
            columns: [
                "position": "The rule's place in `blocking:`, from 1.",
                "rule": "Its attributes joined by `+`.",
                "pairs_generated": "The pairs its blocks make on their own (Σ n(n-1)/2), pairs other rules also find included.",
                "pairs_kept": "The candidate pairs it contributes: found by no earlier rule.",
            ]),
        Table(
            name: "match_model", description: "The Fellegi-Sunter model the run scored with.",
            columns: [
                "trained_at_run": "The run that trained (or pinned) the model.",
                "model": "Comparisons, m and u per level and the prior, as JSON.",
                "threshold": "The match probability threshold.",
                "term_frequency": "The comparisons with term-frequency adjustments, space-separated.",
                "blocking": "The blocking rules, space-separated, attributes joined by `+`.",
            ]),
        Table(
            name: "identity_fields", description: "One field an identifier type or matching attribute is read from.",
            columns: [
                "kind": "`identifier` or `attribute`.",
                "name": "The identifier type or attribute.",
                "position": "The field's position among its fields.",
                "source": "The source.",
                "field": "The column of `src_<source>`.",
            ]),
        Table(
            name: "identity_refusals", description: "One link not made, and why.",
            columns: [
                "type": "The identifier type, or `probabilistic` for a match link.",
                "value": "The identifier value, or the two records of a match link (`crm:12 crm:40`).",
                "reason": "`max_per_profile`, `fan_out`, `max_cluster_size`, `ambiguous`, `veto` or `conflict`.",
                "records": "The records the value was seen on (2 for a match link).",
                "detail": "For `max_cluster_size` and `veto`: the link cut or refused, and why.",
            ]),
        Table(
            name: "activities", description: "One activity of a profile (`activities:` in the pipeline).",
            columns: [
                "activity_id": "The activity's id.",
                "profile_id": "The profile; NULL: unattributed (the record joined no profile).",
                "source": "The source of the record.",
                "record_id": "The record (→ `src_<source>._record_id`).",
                "kind": "The activity kind (`kinds:`).",
                "at": "The instant, UTC; NULL when the record has no readable instant.",
                "amount_cents": "The amount, in cents.",
                "record_key": "The original record's key.",
                "order_id": "The order the activity belongs to.",
            ]),
        Table(
            name: "segments", description: "One declared segment.",
            columns: [
                "segment": "The segment's name.",
                "description": "Its description as written in the pipeline file.",
                "condition": "Its condition as written (a `${VAR}` stays `${VAR}`).",
                "members": "Its members in this run.",
                "entered": "Profiles that entered in this run.",
                "exited": "Profiles that exited in this run.",
            ]),
        Table(
            name: "segment_membership", description: "One member of one segment.",
            columns: [
                "segment": "The segment (→ `segments`).",
                "profile_id": "The member (→ `profiles`).",
                "since": "The `as_of` of the run in which the person entered.",
            ]),
        Table(
            name: "segment_changes", description: "One entry into or exit from a segment in a run (history kept).",
            columns: [
                "run_id": "The run (→ `runs`).",
                "segment": "The segment.",
                "profile_id": "The profile.",
                "change": "`entered` or `exited`.",
                "at": "The run's `as_of`.",
                "previous_profile_id": "For exits: the id the member had.",
            ]),
        Table(
            name: "exports", description: "One export file a run wrote (history kept).",
            columns: [
                "run_id": "The run (→ `runs`).",
                "export": "The export's name (`exports:`).",
                "path": "The file's path.",
                "segment": "The segment exported, if any.",
                "rows": "Rows written.",
                "sha256": "SHA-256 of the file's bytes.",
                "unhashable_emails": "E-mails that could not be hashed.",
                "unhashable_phones": "Phones that could not be hashed.",
                "file": "The run's own copy of the bytes beside `path`; NULL in rows of runs before it existed.",
            ]),
        Table(
            name: "quarantine", description: "One rejected input record of this run.",
            columns: [
                "quarantine_id": "The row's id.",
                "run_id": "The run (→ `runs`).",
                "source": "The source.",
                "file_id": "The file: `(run_id, file_id)` → `run_inputs`.",
                "file": "The file's path.",
                "line": "The line where the record starts.",
                "reason": "Why it was rejected.",
                "detail": "More about the reason (no customer data).",
                "raw": "The record's bytes: TEXT, or BLOB when not valid UTF-8.",
            ]),
        Table(
            name: "runs", description: "One successful run (history carried over from the previous output).",
            columns: [
                "run_id": "The run's id.",
                "pipeline": "The pipeline's name.",
                "pipeline_file": "The pipeline file.",
                "pipeline_sha256": "SHA-256 of the pipeline file.",
                "tributary_version": "The version of Tributary that ran it.",
                "started_at": "When the run started (ISO-8601 UTC).",
                "finished_at": "When the run finished.",
                "status": "`succeeded`.",
                "jobs": "Worker threads.",
                "records_read": "Records read.",
                "records_loaded": "Records loaded.",
                "records_quarantined": "Records quarantined.",
                "records_filtered": "Records filtered out.",
                "records_duplicates": "Records dropped as duplicates of a `key:`.",
                "as_of": "The instant traits and segments were evaluated at.",
            ]),
        Table(
            name: "run_inputs", description: "One input file of one run (history kept; key `(run_id, file_id)`).",
            columns: [
                "file_id": "The file's number in its run, from 1.",
                "run_id": "The run (→ `runs`).",
                "source": "The source.",
                "path": "The file's path.",
                "size_bytes": "Its size.",
                "sha256": "SHA-256 of its bytes.",
                "modified_at": "Its modification time.",
                "physical_lines": "Physical lines.",
                "header_lines": "Header lines.",
                "blank_lines": "Blank lines.",
                "records": "Records read.",
                "loaded": "Records loaded.",
                "quarantined": "Records quarantined.",
                "filtered": "Records filtered out.",
                "duplicates": "Records dropped as duplicates.",
            ]),
        Table(
            name: "run_counters", description: "One count a transform reported in a run, per source.",
            columns: [
                "run_id": "The run (→ `runs`).",
                "source": "The source.",
                "counter": "The counter, e.g. `email.invalid.missing_at`.",
                "value": "Its count.",
            ]),
        Table(
            name: "run_quarantine", description: "Records one run quarantined, per source and reason (history kept).",
            columns: [
                "run_id": "The run (→ `runs`).",
                "source": "The source.",
                "reason": "The reason.",
                "records": "Records quarantined.",
            ]),
        Table(
            name: "reconciliations", description: "One in-file check of this run (e.g. a fixed-width trailer's record count).",
            columns: [
                "run_id": "The run (→ `runs`).",
                "source": "The source.",
                "file_id": "The file: `(run_id, file_id)` → `run_inputs`.",
                "file": "The file's path.",
                "line": "The line of the check (the trailer).",
                "check_name": "The check.",
                "expected": "The value the file states.",
                "actual": "The value counted.",
                "passed": "1 when they agree.",
            ]),
        Table(
            name: "run_stages", description: "One stage of one run.",
            columns: [
                "run_id": "The run (→ `runs`).",
                "stage": "The stage.",
                "started_at": "When it started.",
                "wall_ms": "Wall-clock milliseconds.",
                "cpu_ms": "CPU milliseconds.",
                "records_in": "Records in.",
                "records_out": "Records out.",
                "peak_rss_bytes": "The process's peak resident memory when the stage ended; NULL in runs of older versions.",
            ]),
    ]
}
