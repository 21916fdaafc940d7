import BourseTestSupport
import Foundation
import Testing

private let anomalyPluginBuilt = FileManager.default.fileExists(
    atPath: TestPaths.firstPartyPluginDirectory + "/libbourse-anomaly.so")

@Suite("bourse eval nab", .serialized)
struct EvalCommandTests {
    @Test("--help explains the command")
    func help() throws {
        for command in [["eval"], ["eval", "nab"]] {
            let result = try bourse(command + ["--help"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("USAGE"))
        }
        #expect(try bourse(["eval", "nab", "--help"]).stdout.contains("Numenta Anomaly Benchmark"))
    }

    @Test("a missing NAB directory is a clear error naming it")
    func missingData() throws {
        let result = try bourse(["eval", "nab", "anomaly", "--data", "/nonexistent/nab"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/nab/labels/combined_windows.json"), "\(result.stderr)")
    }

    @Test("a config that is not a JSON object is refused")
    func badConfig() throws {
        let result = try bourse(["eval", "nab", "anomaly", "--data", TestPaths.sharedData + "/nab", "--only",
                                 "art_daily_jumpsup", "--config", "[1]"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("JSON object"), "\(result.stderr)")
    }

    @Test("runs the anomaly plugin through a graph and prints the three profiles",
          .enabled(if: anomalyPluginBuilt, "needs the first-party plugins built"))
    func oneSeries() throws {
        let result = try bourse(["eval", "nab", "anomaly", "--data", TestPaths.sharedData + "/nab",
                                 "--only", "art_daily_jumpsup", "--isolation", "in-process", "--json",
                                 "--plugin-path", TestPaths.firstPartyPluginDirectory])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["seriesCount"] as? Int == 1)
        let profiles = try #require(object["profiles"] as? [[String: Any]])
        #expect(profiles.compactMap { $0["profile"] as? String } == ["standard", "reward_low_FP_rate", "reward_low_FN_rate"])
        // The jump is outside the range seen so far: found, so the score beats the null detector.
        #expect(profiles.allSatisfy { ($0["score"] as? Double ?? 0) > 50 }, "\(profiles)")
    }
}
