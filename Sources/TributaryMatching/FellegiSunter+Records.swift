extension FellegiSunter {
    // MARK: Records

    /// Records (or entities: the clusters deterministic stitching built) of attributes: for each
    /// record and attribute a short list of distinct byte strings (empty = missing). A CRM contact
    /// has two phones; a cluster of a contact, its web events and its till sales carries every name,
    /// e-mail and phone any of them holds. Comparisons take the best-agreeing pair of values and
    /// blocking puts a record in the block of each of its values, as Splink's array comparisons do.
    ///
    /// Stored flat and record-major (one byte array; per record and attribute a range of values;
    /// per value an offset and a length), so comparing a pair of records touches a few cache lines,
    /// not one per attribute: with a million records, attribute-major storage made cache misses the
    /// largest cost of comparing candidate pairs.
    public struct Records: Sendable {
        public let count: Int
        public let attributeCount: Int
        var bytes: [UInt8] = []
        /// Per slot (`record × attributeCount + attribute`): its values are
        /// `valueStart[slot]..<valueStart[slot + 1]`.
        var valueStart: [Int32] = [0]
        /// Per value: offset into `bytes`, and length.
        var offsets: [Int] = []
        var lengths: [Int32] = []
        /// Per value: the record (of the caller's numbering) it was read from, when the builder was
        /// told (`add(_:_:_:origin:)`); empty otherwise. An entity's values say which of its
        /// records holds them.
        var origins: [Int32] = []

        /// Values kept per record and attribute: later distinct values beyond this are dropped
        /// (the pairs of values compared grow with the square of it).
        public static let maxValues = 8

        /// Fills records value by value (e.g. from a database cursor, in any order) without an
        /// array per value: the bytes are appended to one arena.
        public struct Builder {
            /// Records so far: the given count, or more when a value was added to a later record.
            public private(set) var count: Int
            let attributeCount: Int
            var arena: [UInt8] = []
            var slot: [Int32] = []
            var offset: [Int] = []
            var length: [Int32] = []
            var origin: [Int32] = []

            public init(count: Int, attributes: Int) {
                self.count = count
                attributeCount = attributes
            }

            /// Adds a value of `attribute` to `record` (a value it already holds is kept once, with
            /// the first origin given). `origin`: where the value comes from (e.g. the source record
            /// of an entity's value), kept for `Records.origin(ofValue:)`.
            public mutating func add(_ attribute: Int, _ record: Int, _ value: UnsafeBufferPointer<UInt8>, origin: Int? = nil) {
                precondition(attribute < attributeCount, "no such attribute")
                count = max(count, record + 1)
                if let origin {
                    if self.origin.count < slot.count { self.origin += [Int32](repeating: -1, count: slot.count - self.origin.count) }
                    self.origin.append(Int32(origin))
                }
                slot.append(Int32(record * attributeCount + attribute))
                offset.append(arena.count)
                length.append(Int32(value.count))
                arena.append(contentsOf: value)
            }

            public mutating func add(_ attribute: Int, _ record: Int, _ value: [UInt8]) {
                value.withUnsafeBufferPointer { add(attribute, record, $0) }
            }

            /// Makes room for `count` records (those with no value added have none).
            public mutating func reserve(records count: Int) { self.count = max(self.count, count) }

            /// The records: values grouped by record and attribute in the order added, duplicates
            /// and values beyond `maxValues` dropped, the bytes laid out again in record order.
            public func build() -> Records {
                let slots = count * attributeCount
                var records = Records(count: count, attributeCount: attributeCount)
                // Counting sort of the values by slot (stable: the order added is kept).
                var start = [Int32](repeating: 0, count: slots + 1)
                for s in slot { start[Int(s) + 1] += 1 }
                for s in 0..<slots { start[s + 1] += start[s] }
                var fill = start
                var order = [Int32](repeating: 0, count: slot.count)
                for (v, s) in slot.enumerated() {
                    order[Int(fill[Int(s)])] = Int32(v)
                    fill[Int(s)] += 1
                }
                records.valueStart = [Int32](repeating: 0, count: slots + 1)
                records.offsets.reserveCapacity(slot.count)
                records.lengths.reserveCapacity(slot.count)
                records.bytes.reserveCapacity(arena.count)
                arena.withUnsafeBufferPointer { arena in
                    for s in 0..<slots {
                        let first = records.offsets.count
                        for k in Int(start[s])..<Int(start[s + 1]) where records.offsets.count - first < maxValues {
                            let v = Int(order[k])
                            let value = UnsafeBufferPointer(rebasing: arena[offset[v]..<offset[v] + Int(length[v])])
                            let known = (first..<records.offsets.count).contains { w in
                                Int(records.lengths[w]) == value.count
                                    && records.bytes[records.offsets[w]..<records.offsets[w] + value.count].elementsEqual(value)
                            }
                            if known { continue }
                            records.offsets.append(records.bytes.count)
                            records.lengths.append(Int32(value.count))
                            records.bytes.append(contentsOf: value)
                            if !origin.isEmpty { records.origins.append(v < origin.count ? origin[v] : -1) }
                        }
                        records.valueStart[s + 1] = Int32(records.offsets.count)
                    }
                }
                return records
            }
        }

        /// `count` records with every value missing.
        init(count: Int, attributeCount: Int) {
            self.count = count
            self.attributeCount = attributeCount
            valueStart = [Int32](repeating: 0, count: count * attributeCount + 1)
        }

        /// `columns[attribute][record]`, one value or none; all columns must have the same length.
        public init(columns: [[[UInt8]?]]) {
            self.init(lists: columns.map { $0.map { $0.map { [$0] } ?? [] } })
        }

        public init(strings columns: [[String?]]) {
            self.init(columns: columns.map { $0.map { $0.map { Array($0.utf8) } } })
        }

        /// `lists[attribute][record]`: the record's values of the attribute (empty when missing).
        public init(lists: [[[[UInt8]]]]) {
            let count = lists.first?.count ?? 0
            for column in lists { precondition(column.count == count, "all columns must have one entry per record") }
            var builder = Builder(count: count, attributes: lists.count)
            for record in 0..<count {
                for (attribute, column) in lists.enumerated() {
                    for value in column[record] { builder.add(attribute, record, value) }
                }
            }
            self = builder.build()
        }

        public init(stringLists lists: [[[String]]]) {
            self.init(lists: lists.map { $0.map { $0.map { Array($0.utf8) } } })
        }

        /// The first value of `attribute` on `record`, nil when missing.
        public func value(_ attribute: Int, _ record: Int) -> [UInt8]? {
            values(attribute, record).first
        }

        /// The values of `attribute` on `record`, in the order added.
        public func values(_ attribute: Int, _ record: Int) -> [[UInt8]] {
            let k = record * attributeCount + attribute
            return (Int(valueStart[k])..<Int(valueStart[k + 1])).map { Array(bytes[offsets[$0]..<offsets[$0] + Int(lengths[$0])]) }
        }

        /// The indices of the values of `attribute` on `record` (into `offsets` and `lengths`).
        func valueRange(_ attribute: Int, _ record: Int) -> Range<Int> {
            let k = record * attributeCount + attribute
            return Int(valueStart[k])..<Int(valueStart[k + 1])
        }

        /// The origin given for value `v` (an index of `valueRange`), nil when none was given.
        public func origin(ofValue v: Int) -> Int? {
            v < origins.count && origins[v] >= 0 ? Int(origins[v]) : nil
        }
    }
}
