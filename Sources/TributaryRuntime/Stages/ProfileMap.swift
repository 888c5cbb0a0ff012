/// Each record's profile, as identity resolution left it: profile numbers by table and
/// `_record_id` (-1: the record is in no profile), each number's `profile_id` and its row.
struct ProfileMap {
    var ids: [String]
    /// Each number's rowid in `profiles` (0: the number is no profile, its records joined none).
    var rows: [Int]
    var byTable: [String: [Int32]]
}
