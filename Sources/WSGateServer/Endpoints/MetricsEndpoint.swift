import NIOCore
import NIOHTTP1

/// `GET /metrics`: every metric in Prometheus' text format (version 0.0.4).
extension APIEndpoints {
    func scrapeMetrics() -> APIResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        return APIResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: self.metrics.scrape()))
    }
}
