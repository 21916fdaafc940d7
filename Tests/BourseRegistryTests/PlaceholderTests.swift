import Testing
@testable import BourseRegistry

@Test func moduleLinks() { _ = BourseRegistryModule.self }
