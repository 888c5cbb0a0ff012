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

    public var tableName: String { "src_" + source }

    /// The SQL text of a record's natural key over `src_<source>`: the key fields as text joined
    /// by `:` (an empty field counts as empty text); `NULL` without `key:`.
    public var recordKeySQL: String {
        guard !keyFields.isEmpty else { return "NULL" }
        return keyFields.map { "coalesce(CAST(\(SQLiteWriter.quote($0)) AS TEXT), '')" }.joined(separator: " || ':' || ")
    }
}

/// Where a run's results go, in the order the runner calls the steps. `SQLiteWriter` is the only
/// implementation. Stages are moving out of it onto the storage seam (`StageStore`, see
/// Docs/architecture.md): golden records and the audience stages are `GoldenRecordStage` and
/// `AudienceStage` already; identity is still a step of the writer. A writer stages everything and makes it visible
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
    /// Links the loaded records into profiles (`identity:`) and writes the profile tables.
    func resolveIdentity(_ identity: IdentityDefinition, tables: [SourceTable], files: [InputFile], jobs: Int) throws(RunError) -> IdentitySummary
    /// The run's id: one more than the last run of the previous output (known after `begin`).
    var runID: Int { get }
    /// Where the stages over the storage seam (`GoldenRecordStage`, ...) read and write.
    var stageStore: StageStore { get }
    /// Identity's decision, kept in memory for the stages after it (nil before `resolveIdentity`).
    var profileMap: ProfileMap? { get }
    /// What the previous output leaves this run for following people: lineage (after
    /// `resolveIdentity`) and segment members.
    var history: OutputHistory { get }
    /// Writes the ledger and builds indexes; after this only `publish` or `abort` may follow.
    func finish(_ ledger: RunLedger) throws(RunError)
    func publish() throws(RunError)
    func abort()
}
