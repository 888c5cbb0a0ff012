import Foundation

/// The answer key of a generated Acme export, written to `truth/` while the sources are written:
/// records.csv, invalid.csv and duplicates.csv stream out as records are produced; the per-person
/// facts behind persons.csv and segments.csv (e-mails, phones, spend, last purchase, cart adds,
/// opt-ins) are kept per person and written by `finish`. Writers only report valid, first-copy
/// records as facts, so the segments come from valid, deduplicated data by construction.
final class AcmeTruth {
    let directory: String
    let asOf: Int64
    private var records: FileWriter
    private var invalidFile: FileWriter
    private var duplicateFile: FileWriter
    private(set) var valid: [String: Int] = [:]
    private(set) var invalid: [String: Int] = [:]
    private(set) var duplicates: [String: Int] = [:]

    // MARK: Per-person facts

    private var emails: [[String]]
    private var phones: [[String]]
    private var spend: [Int]
    private var lastPurchase: [Int64]
    private var lastAdd: [Int64]
    private var lastOrder: [Int64]
    private var optInAt: [Int64]
    private var optIn: [Bool]
    private var crmEmail: [Bool]

    init(directory: String, persons: Int, asOf: Int64) throws {
        self.directory = directory
        self.asOf = asOf
        records = FileWriter(path: directory + "/truth/records.csv")
        records.text("source,record_key,person_id\n")
        invalidFile = FileWriter(path: directory + "/truth/invalid.csv")
        invalidFile.text("source,file,line,reason\n")
        duplicateFile = FileWriter(path: directory + "/truth/duplicates.csv")
        duplicateFile.text("source,record_key,file,line\n")
        emails = Array(repeating: [], count: persons)
        phones = Array(repeating: [], count: persons)
        spend = Array(repeating: 0, count: persons)
        lastPurchase = Array(repeating: Int64.min, count: persons)
        lastAdd = Array(repeating: Int64.min, count: persons)
        lastOrder = Array(repeating: Int64.min, count: persons)
        optInAt = Array(repeating: Int64.min, count: persons)
        optIn = Array(repeating: false, count: persons)
        crmEmail = Array(repeating: false, count: persons)
    }

    // MARK: Records

    /// A valid, kept record. `owner` is `p…`, `v…` or "" (walk-in).
    func record(_ source: String, _ key: String, _ owner: String) {
        records.text(source + "," + key + "," + owner + "\n")
        valid[source, default: 0] += 1
    }

    func invalid(_ source: String, _ file: String, _ line: Int, _ reason: String) {
        invalidFile.text("\(source),\(file),\(line),\(reason)\n")
        invalid[source, default: 0] += 1
    }

    func duplicate(_ source: String, _ key: String, _ file: String, _ line: Int) {
        duplicateFile.text("\(source),\(key),\(file),\(line)\n")
        duplicates[source, default: 0] += 1
    }

    // MARK: Facts

    /// An e-mail as it appears in a valid record (kept if it is shaped like one).
    func email(_ person: Int, _ raw: String) {
        guard let e = AcmeFormat.validEmail(raw) else { return }
        if !emails[person].contains(e) { emails[person].append(e) }
    }

    func phone(_ person: Int, _ e164: String) {
        if !phones[person].contains(e164) { phones[person].append(e164) }
    }

    /// A store line item (sale or return), at its UTC instant.
    func storeLine(_ person: Int, cents: Int, qty: Int, at: Int64) {
        spend[person] += cents
        if qty > 0 { lastPurchase[person] = max(lastPurchase[person], at) }
    }

    func onlineOrder(_ person: Int, cents: Int, at: Int64) {
        spend[person] += cents
        lastPurchase[person] = max(lastPurchase[person], at)
        lastOrder[person] = max(lastOrder[person], at)
    }

    func productAdded(_ person: Int, at: Int64) { lastAdd[person] = max(lastAdd[person], at) }

    /// A valid CRM contact's opt-in answer (nil = blank), its Last Modified instant, and whether its e-mail is valid.
    func crmContact(_ person: Int, optIn answer: Bool?, modified: Int64, validEmail: Bool) {
        if validEmail { crmEmail[person] = true }
        if let answer, modified > optInAt[person] {
            optInAt[person] = modified
            optIn[person] = answer
        }
    }

    // MARK: Finish

    func finish(_ people: [AcmePerson]) throws {
        try records.close()
        try invalidFile.close()
        try duplicateFile.close()
        let dir = directory + "/truth/"
        var counts = "source,valid,invalid,duplicates\n"
        for s in ["crm", "events", "pos", "pos_legacy"] {
            counts += "\(s),\(valid[s] ?? 0),\(invalid[s] ?? 0),\(duplicates[s] ?? 0)\n"
        }
        try FileWriter.write(dir + "counts.csv", counts)

        var persons = FileWriter(path: dir + "persons.csv")
        persons.text("person_id,emails,phones\n")
        for p in people {
            persons.text("\(p.id),\(emails[p.index].joined(separator: ";")),\(phones[p.index].joined(separator: ";"))\n")
        }
        try persons.close()

        let ms = asOf * 1000
        var segments = FileWriter(path: dir + "segments.csv")
        segments.text("segment,person_id\n")
        for p in people where lastAdd[p.index] >= ms - 7 * 86_400_000 && lastOrder[p.index] <= lastAdd[p.index] {
            segments.text("cart_abandoners_7d,\(p.id)\n")
        }
        for p in people where spend[p.index] >= 50_000 { segments.text("high_value,\(p.id)\n") }
        for p in people where lastPurchase[p.index] != Int64.min && lastPurchase[p.index] < ms - 90 * 86_400_000 {
            segments.text("lapsed_90d,\(p.id)\n")
        }
        for p in people where optInAt[p.index] != Int64.min && optIn[p.index] && crmEmail[p.index] {
            segments.text("email_reachable,\(p.id)\n")
        }
        try segments.close()
        try FileWriter.write(dir + "README.md", Self.readme)
    }

    // MARK: README

    static let readme = """
        # Ground truth of a generated Acme export

        Written by `tributary-bench generate --shape acme`. All files are UTF-8 CSV with a header and LF
        line ends. Snapshot D is the `--as-of` day (default 2024-11-15); everything happened before D 00:00Z.

        - `records.csv` `source,record_key,person_id`: one row per VALID record a pipeline must keep
          (the first copy of a duplicate only). `source` is `crm`, `events`, `pos` or `pos_legacy`.
          `record_key`: crm = Contact ID; events = messageId; pos = `txn_id:line` (line = 1-based row of
          the item within its transaction); pos_legacy = `STORE_ID-TXN_NO:LINE_NO` (store and txn zero
          padded as in the file, line without padding). `person_id`: `p` + 7 digits for a customer,
          `v` + 7 digits for an anonymous device that never identified (one entity, not a customer),
          empty for a walk-in sale. Events of a device before it identified belong to the person who
          later identified on it.
        - `invalid.csv` `source,file,line,reason`: every invalid record: file relative to the export
          folder, the 1-based physical line where the record starts, and a reason slug:
          crm `extra_field`, `too_few_fields`, `unclosed_quote` (a quote never closed; it swallows the
          next row, which is listed as `swallowed_by_quote` at its own line: a CSV reader sees one
          record starting at the first line), `eof_in_quote` (the file ends inside a quoted field);
          events `invalid_utf8`, `not_json`, `bad_type`, `empty_message_id`, `empty_timestamp`,
          `no_identity`, `track_without_event`; pos `field_count`, `non_numeric_amount`,
          `amount_mismatch`; pos_legacy `short_record`, `nul_filled`, `non_numeric_amount`.
          Legacy trailers count and sum the valid D records only.
        - `duplicates.csv` `source,record_key,file,line`: every copy a pipeline must drop: re-sent events
          after their first occurrence in file order (files in date order), and POS line items of whole
          transactions repeated in a catch-up batch.
        - `counts.csv` `source,valid,invalid,duplicates`: row counts of the three files above.
        - `persons.csv` `person_id,emails,phones`: each customer's e-mails (trimmed, lower case) and
          phones (E.164) as they appear in valid records, `;`-separated. An e-mail counts when it has the
          shape `local@domain.tld`; legacy e-mails cut at 40 characters are not listed.
        - `segments.csv` `segment,person_id`: the members at D, from valid deduplicated records:
          `cart_abandoners_7d` (a `Product Added` in the 7 days before D and no `Order Completed` of the
          person, any device, after the latest such add); `high_value` (store amount_cents net of
          returns, current and legacy, plus online `Order Completed` revenue, >= 50000 cents);
          `lapsed_90d` (a store sale with qty > 0 or an online order, but none in the 90 days before D);
          `email_reachable` (the latest non-blank CRM opt-in by Last Modified Date is true, and the person
          has a valid CRM e-mail). Visitors and walk-ins are in no segment.

        """
}
