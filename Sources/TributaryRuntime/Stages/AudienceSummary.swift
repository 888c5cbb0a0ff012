/// What the activity, trait and segment stages produced, for the ledger and the run summary.
public struct AudienceSummary: Sendable {
    /// Activities per source and kind.
    public var activities: [String: [String: Int]] = [:]
    public var activitiesWithoutInstant = 0
    public var traits = 0
    public var segments: [SegmentSummary] = []

    public struct SegmentSummary: Sendable {
        public var name: String
        public var members = 0
        public var entered = 0
        public var exited = 0
    }

    /// Wall and CPU time of the activity, trait, segment and export stages.
    public var stages: [StageTiming] = []

    public var activityCount: Int { activities.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
}
