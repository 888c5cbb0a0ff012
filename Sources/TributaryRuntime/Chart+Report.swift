import Foundation

/// The charts of the identity and data-health sections (the first ones are in
/// `RunReport+HTML.swift`). Same conventions: one `<rect>` per data point with a `<title>` and
/// `data-value`.
extension Chart {
    // MARK: - Match model

    /// Two bars per row (m and u, probabilities 0...1), rows grouped under their comparison.
    static func pairedBars(id: String, title: String, rows: [(group: String, label: String, m: Double, u: Double)]) -> String {
        let groupWidth = 150.0, labelWidth = 190.0, rowHeight = 30.0, top = 44.0
        let plotLeft = groupWidth + labelWidth, plot = width - plotLeft - 70
        let height = top + rowHeight * Double(rows.count) + 24
        var svg = open(id: id, title: title, height: height)
        svg += "<text class=\"title\" x=\"0\" y=\"16\">\(htmlEscape(title))</text>\n"
        svg += "<rect class=\"bar-m\" x=\"\(fmt(plotLeft))\" y=\"24\" width=\"12\" height=\"12\"></rect><text x=\"\(fmt(plotLeft + 17))\" y=\"34\">m (among matches)</text>"
        svg += "<rect class=\"bar-u\" x=\"\(fmt(plotLeft + 170))\" y=\"24\" width=\"12\" height=\"12\"></rect><text x=\"\(fmt(plotLeft + 187))\" y=\"34\">u (among non-matches)</text>\n"
        for fraction in [0.0, 0.5, 1.0] {
            let x = plotLeft + plot * fraction
            svg += "<line class=\"grid\" x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(height - 20))\"></line>"
            svg += "<text class=\"muted\" x=\"\(fmt(x))\" y=\"\(fmt(height - 6))\" text-anchor=\"middle\">\(fraction)</text>\n"
        }
        var previous: String?
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            if row.group != previous {
                svg += "<text x=\"0\" y=\"\(fmt(y + 19))\" style=\"font-weight:600\">\(htmlEscape(short(row.group, 20)))</text>"
                if previous != nil {
                    svg += "<line class=\"grid\" x1=\"0\" y1=\"\(fmt(y))\" x2=\"\(fmt(width))\" y2=\"\(fmt(y))\"></line>"
                }
                previous = row.group
            }
            svg += "<text x=\"\(fmt(plotLeft - 8))\" y=\"\(fmt(y + 19))\" text-anchor=\"end\">\(htmlEscape(short(row.label, 26)))</text>"
            for (k, (kind, value)) in [("m", row.m), ("u", row.u)].enumerated() {
                let w = max(value > 0 ? 1 : 0, plot * min(max(value, 0), 1))
                let by = y + 4 + Double(k) * 11
                svg += "<rect class=\"bar-\(kind)\" x=\"\(fmt(plotLeft))\" y=\"\(fmt(by))\" width=\"\(fmt(w))\" height=\"10\" data-value=\"\(value)\">"
                svg += "<title>\(htmlEscape(row.group)) \(htmlEscape(row.label)): \(kind) = \(RunReport.probability(value))</title></rect>"
                svg += "<text class=\"muted\" x=\"\(fmt(plotLeft + w + 4))\" y=\"\(fmt(by + 9))\">\(RunReport.probability(value))</text>"
            }
            svg += "\n"
        }
        return svg + "</svg>\n"
    }

    /// Horizontal bars from a zero line, green right of it (positive), red left (negative):
    /// match weights per level.
    static func signedBars(id: String, title: String, rows: [(group: String, label: String, value: Double)]) -> String {
        // 56 units left of the plot for the value of the most negative bar.
        let groupWidth = 150.0, labelWidth = 190.0, rowHeight = 24.0, top = 30.0
        let plotLeft = groupWidth + labelWidth + 56, plot = width - plotLeft - 60
        let height = top + rowHeight * Double(rows.count) + 26
        let low = min(0, rows.map(\.value).min() ?? 0), high = max(0, rows.map(\.value).max() ?? 0)
        let span = max(high - low, 1e-9)
        func x(_ v: Double) -> Double { plotLeft + plot * (v - low) / span }
        var svg = open(id: id, title: title, height: height)
        svg += "<text class=\"title\" x=\"0\" y=\"16\">\(htmlEscape(title))</text>\n"
        let step = max(1, (span / 8).rounded(.up))
        var tick = (low / step).rounded(.up) * step
        while tick <= high {
            svg += "<line class=\"grid\" x1=\"\(fmt(x(tick)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x(tick)))\" y2=\"\(fmt(height - 22))\"></line>"
            svg += "<text class=\"muted\" x=\"\(fmt(x(tick)))\" y=\"\(fmt(height - 8))\" text-anchor=\"middle\">\(Int(tick))</text>\n"
            tick += step
        }
        var previous: String?
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            if row.group != previous {
                svg += "<text x=\"0\" y=\"\(fmt(y + 16))\" style=\"font-weight:600\">\(htmlEscape(short(row.group, 20)))</text>"
                previous = row.group
            }
            svg += "<text x=\"\(fmt(plotLeft - 64))\" y=\"\(fmt(y + 16))\" text-anchor=\"end\">\(htmlEscape(short(row.label, 26)))</text>"
            let from = x(min(0, row.value)), to = x(max(0, row.value))
            svg += "<rect class=\"\(row.value >= 0 ? "bar-pos" : "bar-neg")\" x=\"\(fmt(from))\" y=\"\(fmt(y + 4))\" width=\"\(fmt(max(1, to - from)))\" height=\"\(fmt(rowHeight - 8))\" data-value=\"\(row.value)\">"
            svg += "<title>\(htmlEscape(row.group)) \(htmlEscape(row.label)): \(String(format: "%+.2f", row.value))</title></rect>"
            let text = String(format: "%+.2f", row.value)
            svg += row.value >= 0
                ? "<text class=\"muted\" x=\"\(fmt(to + 4))\" y=\"\(fmt(y + 16))\">\(text)</text>\n"
                : "<text class=\"muted\" x=\"\(fmt(from - 4))\" y=\"\(fmt(y + 16))\" text-anchor=\"end\">\(text)</text>\n"
        }
        svg += "<line class=\"axis\" x1=\"\(fmt(x(0)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x(0)))\" y2=\"\(fmt(height - 22))\"></line>\n"
        return svg + "</svg>\n"
    }

    /// Scored pairs per weight bin, below the threshold grey, at or above it blue (stacked), on
    /// a log count scale, with the threshold as a dashed line.
    static func weightHistogram(id: String, title: String, bins: [RunReport.WeightBin], thresholdWeight: Double?) -> String {
        let left = 60.0, right = 16.0, top = 46.0, plotHeight = 200.0, bottom = 46.0
        let height = top + plotHeight + bottom
        var svg = open(id: id, title: title, height: height)
        svg += "<text class=\"title\" x=\"0\" y=\"16\">\(htmlEscape(title))</text>\n"
        svg += "<rect class=\"bar-below\" x=\"\(fmt(left))\" y=\"24\" width=\"12\" height=\"12\"></rect><text x=\"\(fmt(left + 17))\" y=\"34\">below the threshold</text>"
        svg += "<rect class=\"bar\" x=\"\(fmt(left + 170))\" y=\"24\" width=\"12\" height=\"12\"></rect><text x=\"\(fmt(left + 187))\" y=\"34\">at or above (linked)</text>"
        svg += "<line class=\"threshold\" x1=\"\(fmt(left + 350))\" y1=\"30\" x2=\"\(fmt(left + 374))\" y2=\"30\"></line><text x=\"\(fmt(left + 380))\" y=\"34\">threshold</text>\n"
        guard !bins.isEmpty else {
            return svg + "<text class=\"muted\" x=\"\(fmt(left))\" y=\"\(fmt(top + 40))\">no pair was scored</text>\n</svg>\n"
        }
        let maxCount = max(bins.map(\.pairs).max() ?? 1, 1)
        func scaled(_ n: Int) -> Double { log10(1 + Double(n)) / log10(1 + Double(maxCount)) }
        for tick in Array(Set([0, maxCount] + (0...9).map { Int(pow(10, Double($0))) }.filter { $0 * 3 <= maxCount })).sorted() {
            let y = top + plotHeight * (1 - scaled(tick))
            svg += "<line class=\"grid\" x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(width - right))\" y2=\"\(fmt(y))\"></line>"
            svg += "<text class=\"muted\" x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(tick)</text>\n"
        }
        // Bins are one weight unit wide; an open end bin takes the width of one.
        let lowest = Double(bins.first.flatMap { $0.low ?? $0.high.map { $0 - 1 } } ?? 0)
        let highest = Double(bins.last.flatMap { $0.high ?? $0.low.map { $0 + 1 } } ?? 1)
        let plotWidth = width - left - right
        func x(_ w: Double) -> Double { left + plotWidth * (w - lowest) / max(highest - lowest, 1) }
        for bin in bins {
            let low = Double(bin.low ?? (bin.high ?? 0) - 1)
            let x0 = x(low) + 0.5, barWidth = max(1, x(low + 1) - x(low) - 1)
            let label = "\(bin.low.map(String.init) ?? "−∞") to \(bin.high.map(String.init) ?? "∞")"
            let total = bin.pairs > 0 ? plotHeight * scaled(bin.pairs) : 0
            // The linked share of the bar's (log) height, in proportion to its pairs.
            let linked = bin.pairs > 0 ? total * Double(bin.aboveThreshold) / Double(bin.pairs) : 0
            if bin.pairs > bin.aboveThreshold {
                svg += "<rect class=\"bar-below\" x=\"\(fmt(x0))\" y=\"\(fmt(top + plotHeight - total))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(max(1, total - linked)))\" data-value=\"\(bin.pairs - bin.aboveThreshold)\">"
                svg += "<title>weight \(label): \(bin.pairs - bin.aboveThreshold) pairs below the threshold</title></rect>"
            }
            if bin.aboveThreshold > 0 {
                svg += "<rect class=\"bar\" x=\"\(fmt(x0))\" y=\"\(fmt(top + plotHeight - linked))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(max(1, linked)))\" data-value=\"\(bin.aboveThreshold)\">"
                svg += "<title>weight \(label): \(bin.aboveThreshold) pairs at or above the threshold</title></rect>"
            }
            svg += "\n"
        }
        let step = max(1.0, ((highest - lowest) / 16).rounded(.up))
        var tick = (lowest / step).rounded(.up) * step
        while tick <= highest {
            svg += "<text class=\"muted\" x=\"\(fmt(x(tick)))\" y=\"\(fmt(top + plotHeight + 16))\" text-anchor=\"middle\">\(Int(tick))</text>"
            tick += step
        }
        if let t = thresholdWeight, t >= lowest, t <= highest {
            svg += "<line class=\"threshold\" x1=\"\(fmt(x(t)))\" y1=\"\(fmt(top - 4))\" x2=\"\(fmt(x(t)))\" y2=\"\(fmt(top + plotHeight))\"><title>threshold: weight \(String(format: "%.2f", t))</title></line>"
        }
        svg += "\n<text class=\"muted\" x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(height - 8))\" text-anchor=\"middle\">match weight (prior + Σ log₂ m/u); pairs on a log scale</text>\n"
        return svg + "</svg>\n"
    }

    // MARK: - Data health

    /// One bar per row for a rate 0...1, rows grouped (a source's fields under the source).
    static func rateBars(id: String, title: String, rows: [(group: String, label: String, rate: Double, text: String)]) -> String {
        let groupWidth = 130.0, labelWidth = 210.0, rowHeight = 20.0, top = 28.0
        let plotLeft = groupWidth + labelWidth, plot = width - plotLeft - 170
        let height = top + rowHeight * Double(rows.count) + 22
        var svg = open(id: id, title: title, height: height)
        svg += "<text class=\"title\" x=\"0\" y=\"16\">\(htmlEscape(title))</text>\n"
        guard !rows.isEmpty else { return svg + "<text class=\"muted\" x=\"\(fmt(plotLeft))\" y=\"\(fmt(top + 14))\">no data</text>\n</svg>\n" }
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let x = plotLeft + plot * fraction
            svg += "<line class=\"grid\" x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(height - 18))\"></line>"
            svg += "<text class=\"muted\" x=\"\(fmt(x))\" y=\"\(fmt(height - 5))\" text-anchor=\"middle\">\(Int(fraction * 100))%</text>\n"
        }
        var previous: String?
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            if row.group != previous {
                svg += "<text x=\"0\" y=\"\(fmt(y + 14))\" style=\"font-weight:600\">\(htmlEscape(short(row.group, 18)))</text>"
                previous = row.group
            }
            let w = max(row.rate > 0 ? 1 : 0, plot * min(max(row.rate, 0), 1))
            let percent = String(format: "%.1f%%", row.rate * 100)
            svg += "<text x=\"\(fmt(plotLeft - 8))\" y=\"\(fmt(y + 14))\" text-anchor=\"end\">\(htmlEscape(short(row.label, 28)))</text>"
            svg += "<rect class=\"bar\" x=\"\(fmt(plotLeft))\" y=\"\(fmt(y + 3))\" width=\"\(fmt(w))\" height=\"\(fmt(rowHeight - 6))\" data-value=\"\(row.rate)\">"
            svg += "<title>\(htmlEscape(row.group)).\(htmlEscape(row.label)): \(percent) (\(htmlEscape(row.text)))</title></rect>"
            svg += "<text class=\"muted\" x=\"\(fmt(plotLeft + plot + 8))\" y=\"\(fmt(y + 14))\">\(percent) · \(htmlEscape(row.text))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// One line per series over the runs (oldest first); a missing value breaks no line, it is
    /// skipped. Each point is a `<circle>` with a `<title>` and `data-value`.
    static func lines(id: String, title: String, xLabels: [String], series: [(name: String, values: [Int?])]) -> String {
        let left = 70.0, right = 20.0, top = 46.0, plotHeight = 160.0, bottom = 36.0
        let height = top + plotHeight + bottom
        var svg = open(id: id, title: title, height: height)
        svg += "<text class=\"title\" x=\"0\" y=\"16\">\(htmlEscape(title))</text>\n"
        var legend = left
        for s in series {
            svg += "<rect class=\"series-\(s.name)\" x=\"\(fmt(legend))\" y=\"24\" width=\"12\" height=\"12\"></rect><text x=\"\(fmt(legend + 17))\" y=\"34\">\(htmlEscape(s.name))</text>"
            legend += 40 + Double(s.name.count) * 7.5
        }
        svg += "\n"
        let maxValue = max(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 1, 1)
        for fraction in [0.0, 0.5, 1.0] {
            let y = top + plotHeight * (1 - fraction)
            svg += "<line class=\"grid\" x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(width - right))\" y2=\"\(fmt(y))\"></line>"
            svg += "<text class=\"muted\" x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(ProgressReporter.grouped(Int((Double(maxValue) * fraction).rounded())))</text>\n"
        }
        let plotWidth = width - left - right
        func x(_ i: Int) -> Double { xLabels.count <= 1 ? left + plotWidth / 2 : left + plotWidth * Double(i) / Double(xLabels.count - 1) }
        func y(_ v: Int) -> Double { top + plotHeight * (1 - Double(v) / Double(maxValue)) }
        let labelEvery = max(1, Int((Double(xLabels.count) / 12).rounded(.up)))
        for (i, label) in xLabels.enumerated() where i % labelEvery == 0 || i == xLabels.count - 1 {
            svg += "<text class=\"muted\" x=\"\(fmt(x(i)))\" y=\"\(fmt(top + plotHeight + 18))\" text-anchor=\"middle\">\(htmlEscape(label))</text>"
        }
        svg += "\n"
        for s in series {
            let points = s.values.enumerated().compactMap { i, v in v.map { (i, $0) } }
            guard !points.isEmpty else { continue }
            if points.count > 1 {
                svg += "<polyline class=\"series-\(s.name)\" style=\"fill:none\" points=\"\(points.map { "\(fmt(x($0.0))),\(fmt(y($0.1)))" }.joined(separator: " "))\"></polyline>"
            }
            for (i, v) in points {
                svg += "<circle class=\"series-\(s.name)\" cx=\"\(fmt(x(i)))\" cy=\"\(fmt(y(v)))\" r=\"3.5\" data-value=\"\(v)\"><title>\(htmlEscape(xLabels[i])) \(htmlEscape(s.name)): \(ProgressReporter.grouped(v))</title></circle>"
            }
            svg += "\n"
        }
        return svg + "</svg>\n"
    }
}
