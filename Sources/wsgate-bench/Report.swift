import Foundation

/// One measured figure of a scenario, with its baseline and target where it has them.
struct Measurement {
    var name: String
    var value: Double
    var unit: String
    /// What the figure is compared with, e.g. the direct client's value or a fixed target.
    var reference: Double?
    var referenceName: String?
    /// Whether the figure meets its target; `nil` when it has none.
    var meetsTarget: Bool?
    var target: String?
}

/// What a scenario measured and verified.
struct ScenarioResult {
    var scenario: String
    var measurements: [Measurement]
    /// What was checked about the data (ids contiguous, payloads intact…).
    var verified: String
}

/// Prints results as a table for people and one JSON line per scenario for tools.
enum Report {
    static func printTable(_ results: [ScenarioResult]) {
        let header = ["scenario", "figure", "gateway", "reference", "ratio", "target", "ok"]
        var rows: [[String]] = []
        for result in results {
            for measurement in result.measurements {
                let ratio = measurement.reference.map { $0 == 0 ? "-" : String(format: "%.2f", measurement.value / $0) } ?? "-"
                rows.append([
                    result.scenario, measurement.name, format(measurement.value, measurement.unit),
                    measurement.reference.map { "\(format($0, measurement.unit)) (\(measurement.referenceName ?? ""))" } ?? "-",
                    ratio, measurement.target ?? "-", measurement.meetsTarget.map { $0 ? "yes" : "NO" } ?? "-",
                ])
            }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    static func printJSONLine(_ result: ScenarioResult) {
        var object: [String: Any] = ["scenario": result.scenario, "verified": result.verified]
        for measurement in result.measurements {
            object[measurement.name] = measurement.value
            if let reference = measurement.reference, let referenceName = measurement.referenceName {
                object["\(measurement.name).\(referenceName)"] = reference
            }
            if let meetsTarget = measurement.meetsTarget { object["\(measurement.name).meetsTarget"] = meetsTarget }
        }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private static func format(_ value: Double, _ unit: String) -> String {
        switch unit {
        case "msg/s", "deliveries/s", "setups/s": String(format: "%.0f %@", value, unit)
        case "MB/s": String(format: "%.1f MB/s", value)
        case "ms": String(format: "%.3f ms", value)
        case "KiB": String(format: "%.1f KiB", value)
        case "MiB": String(format: "%.1f MiB", value)
        default: String(format: "%.2f %@", value, unit)
        }
    }
}
