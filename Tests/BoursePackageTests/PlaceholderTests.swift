import Testing
@testable import BoursePackage

@Test func moduleLinks() { _ = BoursePackageModule.self }
