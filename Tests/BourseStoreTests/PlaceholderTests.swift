import Testing
@testable import BourseStore

@Test func moduleLinks() { _ = BourseStoreModule.self }
