#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Testing

@Suite("Paths")
struct PathTests {
    /// A fresh directory under /tmp with a real subdirectory and a symbolic link to it.
    private func makeTree() throws -> String {
        var template = Array("/tmp/bourse-paths-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let root = try #require(made.map { String(cString: $0) })
        #expect(mkdir(root + "/real", 0o755) == 0)
        #expect(symlink(root + "/real", root + "/link") == 0)
        return root
    }

    @Test("canonicalPath resolves '..', '.' and symbolic links, also below what does not exist yet")
    func canonical() throws {
        let root = try makeTree()
        let resolvedRoot = canonicalPath(root)
        #expect(canonicalPath(root + "/real/../real/./x") == resolvedRoot + "/real/x")
        #expect(canonicalPath(root + "/link") == resolvedRoot + "/real")
        #expect(canonicalPath(root + "/link/new/dir/../file") == resolvedRoot + "/real/new/file")
        #expect(canonicalPath("/") == "/")
        #expect(!canonicalPath("relative/../x").contains(".."))
    }
}
