import Foundation

/// Counters and histograms for `GET /metrics`, in the Prometheus text format (0.0.4).
public final class Metrics: @unchecked Sendable {
    /// Upper bounds of the latency histogram's buckets, in seconds.
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: Metrics.latencyBuckets.count)
        var sum = 0.0
        var count = 0
    }

    private let lock = NSLock()
    private var requests: [String: [Int: Int]] = [:]  // route -> status -> count
    private var latency: [String: Histogram] = [:]  // route -> histogram
    private var stages: [String: (sum: Double, count: Int)] = [:]  // pipeline stage -> seconds

    public init() {}

    /// Records one answered request.
    public func record(route: String, status: Int, seconds: Double) {
        lock.withLock {
            requests[route, default: [:]][status, default: 0] += 1
            var h = latency[route] ?? Histogram()
            for (i, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            latency[route] = h
        }
    }

    /// Records the time a pipeline stage took (decode, forward, ...).
    public func record(stage: String, seconds: Double) {
        lock.withLock {
            let s = stages[stage] ?? (0, 0)
            stages[stage] = (s.sum + seconds, s.count + 1)
        }
    }

    /// The exposition text; `counters` (totals kept elsewhere, such as the worker pool's) and
    /// `gauges` are sampled by the caller at scrape time.
    public func render(counters: [(name: String, help: String, value: Int)] = [],
                       gauges: [(name: String, help: String, value: Double)]) -> String {
        lock.withLock {
            var out = ""
            out += "# HELP gradcam_http_requests_total Requests answered, by route and status.\n"
            out += "# TYPE gradcam_http_requests_total counter\n"
            for route in requests.keys.sorted() {
                for status in requests[route]!.keys.sorted() {
                    out += "gradcam_http_requests_total{route=\"\(route)\",status=\"\(status)\"} \(requests[route]![status]!)\n"
                }
            }
            out += "# HELP gradcam_http_request_duration_seconds Time from request to response, by route.\n"
            out += "# TYPE gradcam_http_request_duration_seconds histogram\n"
            for route in latency.keys.sorted() {
                let h = latency[route]!
                for (bound, count) in zip(Self.latencyBuckets, h.counts) {
                    out += "gradcam_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(count)\n"
                }
                out += "gradcam_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(h.count)\n"
                out += "gradcam_http_request_duration_seconds_sum{route=\"\(route)\"} \(h.sum)\n"
                out += "gradcam_http_request_duration_seconds_count{route=\"\(route)\"} \(h.count)\n"
            }
            out += "# HELP gradcam_stage_seconds Time spent in each pipeline stage.\n"
            out += "# TYPE gradcam_stage_seconds summary\n"
            for stage in stages.keys.sorted() {
                out += "gradcam_stage_seconds_sum{stage=\"\(stage)\"} \(stages[stage]!.sum)\n"
                out += "gradcam_stage_seconds_count{stage=\"\(stage)\"} \(stages[stage]!.count)\n"
            }
            for counter in counters {
                out += "# HELP \(counter.name) \(counter.help)\n# TYPE \(counter.name) counter\n\(counter.name) \(counter.value)\n"
            }
            for gauge in gauges {
                out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n"
            }
            return out
        }
    }
}
