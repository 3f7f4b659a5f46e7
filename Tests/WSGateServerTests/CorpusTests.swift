import Foundation
import Testing
import WSGateTestSupport

/// The fuzzing corpus, every crash the fuzzers found among it, replayed through its targets.
struct CorpusTests {
    @Test func everyCorpusInputRunsThroughItsTargetWithoutACrash() async throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus")
        let files = try FileManager.default.subpathsOfDirectory(atPath: corpus.path).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: corpus.appendingPathComponent(path).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let runner = GatewayProcess.binaryDirectory.appendingPathComponent("wsgate-fuzz")
        let run = try await CommandRun.run(runner, [corpus.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("\(files.count) inputs ran"), "\(run.stdout)")
    }
}
