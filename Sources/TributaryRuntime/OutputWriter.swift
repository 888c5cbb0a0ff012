import TributaryConfig
import TributaryCore

/// The table layout of one source's loaded records.
public struct SourceTable: Sendable {
    public var source: String
    public var fields: [String]
    public var types: [FieldType]
    /// `key:`: the fields whose values, joined by `:`, are a record's natural key
    /// (`profile_records.record_key`); empty when the source declares none.
    public var keyFields: [String] = []
    /// The names under the source's `fields:` (the others come from transforms), for `docs`.
    public var declaredFields: [String] = []

    public var tableName: String { "src_" + source }

    /// The SQL text of a record's natural key over `src_<source>`: the key fields as text joined
    /// by `:` (an empty field counts as empty text); `NULL` without `key:`.
    public var recordKeySQL: String {
        guard !keyFields.isEmpty else { return "NULL" }
        return keyFields.map { "coalesce(CAST(\(SQLiteWriter.quote($0)) AS TEXT), '')" }.joined(separator: " || ':' || ")
    }
}

/// Where a run's results go, in the order the runner calls the steps. `SQLiteWriter` is the only
/// implementation. It loads, keeps the ledger and publishes; the stages after the load run on
/// the storage seam it hands out (`stageStore`, see Docs/architecture.md). A writer stages everything and makes it visible
/// only in `publish()`; `abort()` leaves the previously published output as it was.
protocol OutputWriter: AnyObject {
    /// Creates the schema for this run's sources.
    func begin(tables: [SourceTable]) throws(RunError)
    /// Appends a batch of loaded records; `layout` gives the batch column of each table field.
    func write(_ table: SourceTable, batch: RecordBatch, layout: [Int], fileID: Int) throws(RunError)
    func writeQuarantine(source: String, records: [QuarantinedRecord], files: [InputFile]) throws(RunError)
    func writeReconciliations(_ checks: [ReconciliationCheck], files: [InputFile]) throws(RunError)
    /// Keeps one record per key by `keep` (not `.first`, which the loader applies while loading);
    /// returns how many records were dropped, by file id.
    func deduplicate(_ table: SourceTable, keys: [String], keep: KeepRule) throws(RunError) -> [Int: Int]
    /// The run's id: one more than the last run of the previous output (known after `begin`).
    var runID: Int { get }
    /// Where the stages (`IdentityStage`, `GoldenRecordStage`, `AudienceStage`) read and write.
    var stageStore: StageStore { get }
    /// The previous output's profile ids by record and its profile count (known after `begin`).
    var previousProfiles: PreviousProfiles { get }
    /// The previous output's segment members (known after `begin`).
    var previousSegmentMembers: [(segment: String, profile: String, since: String)] { get }
    /// Writes the `docs` table: a description of every table and column the output holds now.
    func writeDocs(_ pipeline: OutputSchemaDocs.Pipeline) throws(RunError)
    /// Writes the ledger and builds indexes; after this only `publish` or `abort` may follow.
    func finish(_ ledger: RunLedger) throws(RunError)
    func publish() throws(RunError)
    func abort()
}
