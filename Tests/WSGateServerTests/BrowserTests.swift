import Foundation
import Testing
import WSGateTestSupport

/// `client.js`, the console page and the multiplexed stream in headless Chromium, driven by
/// `Tests/Browser/browser_test.py` (selenium) against the built executable and real upstreams.
@Suite(.timeLimit(.minutes(5)))
struct BrowserTests {
    @Test func theBrowserSuitePasses() async throws {
        let python = try await TestPython.interpreter.value
        let script = TestPython.packageRoot.appendingPathComponent("Tests/Browser/browser_test.py").path
        let artifacts = TestPython.packageRoot.appendingPathComponent(".build/browser-artifacts").path
        let status = try await TestPython.run(
            python + [script, "--wsgate", try GatewayProcess.executable.path, "--artifacts", artifacts]
        )
        #expect(status == 0, "Tests/Browser/browser_test.py failed; its report is above, the console's screenshot in \(artifacts).")
    }
}
