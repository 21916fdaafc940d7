import Testing
@testable import BourseModels

@Test func moduleLinks() { _ = BourseModelsModule.self }
