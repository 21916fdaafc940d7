import Testing
@testable import BourseEvaluation

@Test func moduleLinks() { _ = BourseEvaluationModule.self }
