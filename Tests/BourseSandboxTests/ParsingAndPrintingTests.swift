import BourseCore
import BourseSandbox
import BourseTestSupport
import Foundation
import Testing

@Suite("Permission and limit parsing, table printing")
struct ParsingAndPrintingTests {
    @Test("a full permission list parses and prints back canonically")
    func parseFullList() throws {
        let permissions = try PluginPermissions.parse("network, threads,read-paths:/data:/etc/zoneinfo,exec-memory")
        #expect(permissions.network && permissions.threads && permissions.execMemory)
        #expect(permissions.readPaths == ["/data", "/etc/zoneinfo"])
        #expect(permissions.description == "network,threads,read-paths:/data:/etc/zoneinfo,exec-memory")
        #expect(try PluginPermissions.parse(permissions.description) == permissions)
        #expect(permissions.permissions == [.network, .threads, .readPaths(["/data", "/etc/zoneinfo"]), .execMemory])
    }

    @Test("write-paths parses, prints back and round-trips, alone and with the others")
    func parseWritePaths() throws {
        let permissions = try PluginPermissions.parse("write-paths:/out:/tmp/x, read-paths:/data,network,write-paths:/out")
        #expect(permissions.writePaths == ["/out", "/tmp/x"])
        #expect(permissions.readPaths == ["/data"])
        #expect(!permissions.readPathsUnscoped && !permissions.writePathsUnscoped && !permissions.hasUnscopedPaths)
        #expect(permissions.description == "network,read-paths:/data,write-paths:/out:/tmp/x")
        #expect(try PluginPermissions.parse(permissions.description) == permissions)
        #expect(permissions.permissions == [.network, .readPaths(["/data"]), .writePaths(["/out", "/tmp/x"])])
        #expect(PluginPermissions(permissions.permissions) == permissions)
        #expect(PluginPermission.writePaths(["/a", "/b"]).description == "write-paths:/a:/b")
        #expect(try PluginPermissions.parse("write-paths:/o").requestsWritePaths)
        #expect(PluginPermissions(writePaths: ["/o", "/o"]).writePaths == ["/o"])
        try PluginPermissions(readPaths: ["/data"], writePaths: ["/out"]).requireConcretePaths()
    }

    @Test("a bare read-paths or write-paths is a request without scope, distinct from one with paths")
    func parseBarePaths() throws {
        let bare = try PluginPermissions.parse("write-paths,read-paths,threads")
        #expect(bare.readPathsUnscoped && bare.writePathsUnscoped && bare.hasUnscopedPaths)
        #expect(bare.readPaths.isEmpty && bare.writePaths.isEmpty)
        #expect(bare.requestsReadPaths && bare.requestsWritePaths)
        #expect(bare.description == "threads,read-paths,write-paths")
        #expect(try PluginPermissions.parse(bare.description) == bare)
        #expect(bare.permissions == [.threads, .readPaths([]), .writePaths([])])
        #expect(PluginPermissions([.writePaths([])]) == (try PluginPermissions.parse("write-paths")))
        #expect(try PluginPermissions.parse("write-paths:") == (try PluginPermissions.parse("write-paths")))
        #expect(bare != (try PluginPermissions.parse("threads,read-paths:/x,write-paths:/y")))
        // Paths given later (the host's effective grant) replace the bare request.
        let scoped = try PluginPermissions.parse("write-paths,write-paths:/out")
        #expect(!scoped.writePathsUnscoped && scoped.writePaths == ["/out"] && !scoped.hasUnscopedPaths)
        #expect(scoped == (try PluginPermissions.parse("write-paths:/out")))
        #expect(!PluginPermissions.none.requestsReadPaths && !PluginPermissions.none.requestsWritePaths)
        // Codable keeps the distinction; JSON without the new keys still decodes.
        let decoded = try JSONDecoder().decode(PluginPermissions.self, from: JSONEncoder().encode(bare))
        #expect(decoded == bare)
        let old = #"{"network":true,"threads":false,"execMemory":false,"readPaths":["/data"]}"#
        #expect(try JSONDecoder().decode(PluginPermissions.self, from: Data(old.utf8))
                == PluginPermissions(network: true, readPaths: ["/data"]))
    }

    @Test("the worker-side check refuses a bare read-paths/write-paths and bad paths, naming them", arguments: [
        ("write-paths", BourseError.Code.invalidValue, "write-paths"),
        ("read-paths,write-paths:/tmp", BourseError.Code.invalidValue, "read-paths"),
        ("write-paths:/nonexistent-bourse-out", BourseError.Code.fileNotFound, "/nonexistent-bourse-out"),
        ("read-paths:/nonexistent-bourse-in", BourseError.Code.fileNotFound, "/nonexistent-bourse-in"),
    ])
    func workerRefusals(list: String, code: BourseError.Code, input: String) throws {
        let permissions = try PluginPermissions.parse(list)
        guard code == .invalidValue || Probe.landlockAvailable else { return }
        do {
            try WorkerSandbox.validate(permissions: permissions)
            Issue.record("'\(list)' should be refused")
        } catch let error as BourseError {
            #expect(error.code == code, "\(error)")
            #expect(error.input == input, "\(error)")
        }
        // A relative path set directly (bypassing parse) is refused too.
        var relative = PluginPermissions.none
        relative.writePaths = ["out"]
        #expect(throws: BourseError.self) { try WorkerSandbox.validate(permissions: relative) }
    }

    @Test("empty, none and repeated items")
    func parseEdgeCases() throws {
        #expect(try PluginPermissions.parse("") == .none)
        #expect(try PluginPermissions.parse("none") == .none)
        #expect(PluginPermissions.none.description == "none")
        let merged = try PluginPermissions.parse("read-paths:/a,threads,read-paths:/b:/a,threads,")
        #expect(merged.readPaths == ["/a", "/b"])
        #expect(merged.threads)
    }

    @Test("structured errors", arguments: [
        ("netwrk", "netwrk", "did you mean 'network'"),
        ("threads,sockets", "sockets", "unknown permission 'sockets'"),
        ("network:yes", "network:yes", "takes no argument"),
        ("read-paths:data", "data", "not an absolute path"),
        ("write-paths:out", "out", "not an absolute path"),
        ("write-paths:/out/../etc", "/out/../etc", "'..'"),
        ("write-path:/out", "write-path", "did you mean 'write-paths'"),
        ("write-paths:/out,none", "none", "cannot be combined"),
        ("read-paths:/data/../etc", "/data/../etc", "'..'"),
        ("none,network", "none", "cannot be combined"),
    ])
    func parseErrors(text: String, input: String, fragment: String) {
        do {
            _ = try PluginPermissions.parse(text)
            Issue.record("'\(text)' should not parse")
        } catch let error as BourseError {
            #expect(error.code == .invalidValue)
            #expect(error.input == input)
            #expect(error.message.contains(fragment), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("resource limits parse with suffixes and keep defaults")
    func limits() throws {
        #expect(ResourceLimits.default.addressSpaceBytes == 1 << 30)
        #expect(ResourceLimits.default.coreFileBytes == 0)
        #expect(ResourceLimits.default.cpuSeconds == nil)
        let limits = try ResourceLimits.parse("as=512M,cpu=60,nofile=64")
        #expect(limits.addressSpaceBytes == 512 << 20)
        #expect(limits.cpuSeconds == 60)
        #expect(limits.openFiles == 64)
        #expect(limits.coreFileBytes == 0)
        #expect(try ResourceLimits.parse(limits.description) == limits)
        #expect(try ResourceLimits.parse("as=unlimited").addressSpaceBytes == nil)
        #expect(try ResourceLimits.parse("none") == .unchanged)
        #expect(ResourceLimits.default.description == "as=1G,cpu=unlimited,nofile=256,core=0")
        for bad in ["as", "as=lots", "rss=1G", "as=99999999999999G"] {
            #expect(throws: BourseError.self, "\(bad)") { try ResourceLimits.parse(bad) }
        }
    }

    @Test("the table prints every rule as text, Markdown and JSON")
    func table() throws {
        let permissions = try PluginPermissions.parse("network,read-paths:/data,write-paths:/out")
        let table = SyscallTable(permissions: permissions)
        #expect(table.stages.map(\.stage) == [.loader, .strict])
        let text = table.text()
        let markdown = table.markdown()
        for policy in table.stages {
            for rule in policy.rules {
                #expect(text.contains(rule.syscall) && markdown.contains("`\(rule.syscall)`"))
            }
        }
        #expect(text.contains("stage strict: default errno(EPERM)"))
        #expect(markdown.contains("| `ptrace` | `kill-process` | always |"))

        // The Foundation-free JSON is exactly what Codable reads.
        let decoded = try JSONDecoder().decode(SyscallTable.self, from: Data(table.json().utf8))
        #expect(decoded == table)
        let reencoded = try JSONDecoder().decode(SyscallTable.self, from: JSONEncoder().encode(table))
        #expect(reencoded == table)
        let strictOnly = SyscallTable(permissions: permissions, stages: [.strict])
        #expect(strictOnly.stages.map(\.stage) == [.strict])
    }

    @Test("kernel audit records of seccomp kills name the system call")
    func auditRecord() throws {
        let line = #"[ 3688.5] audit: type=1326 audit(1795317956.344:22): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=29958 comm="bourse-worker" exe="/x/bourse-worker" sig=31 arch=c000003e syscall=250 compat=0 ip=0x7fe04af71b42 code=0x80000000"#
        let record = try #require(SeccompAuditRecord(line: line))
        #expect(record.processID == 29958 && record.signal == 31 && record.action == 0x8000_0000)
        #expect(record.syscallName == "keyctl")
        #expect(record.callDescription == "keyctl (250)")
        let i386 = try #require(SeccompAuditRecord(line: "audit: type=1326 pid=7 sig=31 arch=40000003 syscall=20 code=0x80000000"))
        #expect(i386.syscallName == nil && i386.callDescription.contains("40000003"))
        #expect(SeccompAuditRecord(line: "audit: type=1400 apparmor") == nil)
        #expect(SeccompPolicy.syscallName(56) == "clone" && SeccompPolicy.syscallNumber("clone3") == 435)
    }

    @Test("docs/security.md carries the current generated tables")
    func documentationIsCurrent() throws {
        let document = try String(contentsOfFile: TestPaths.repositoryRoot + "/docs/security.md", encoding: .utf8)
        #expect(document.contains(SyscallTable(permissions: .none).markdown()), "regenerate with bourse-sandbox-probe --print-policy --format markdown")
        for permission in ["network", "threads", "read-paths:/data", "write-paths:/out", "exec-memory"] {
            let table = SyscallTable(permissions: try PluginPermissions.parse(permission), stages: [.strict])
            let difference = table.markdownDifferences(from: SyscallTable(permissions: .none, stages: [.strict]))
            #expect(document.contains(difference), "regenerate the \(permission) difference with --format markdown-diff")
        }
    }

    @Test("the probe prints the same policy as the library")
    func probePrintsPolicy() throws {
        let outcome = try Probe.run(["--print-policy", "--format", "json", "--permissions", "threads,exec-memory"])
        #expect(outcome.status == 0)
        let table = try JSONDecoder().decode(SyscallTable.self, from: Data(outcome.process.stdout.utf8))
        #expect(table == SyscallTable(permissions: PluginPermissions([.threads, .execMemory])))
        let bare = try Probe.run(["--print-policy", "--format", "json", "--permissions", "write-paths,read-paths:/x"])
        let bareTable = try JSONDecoder().decode(SyscallTable.self, from: Data(bare.process.stdout.utf8))
        #expect(bareTable.permissions.writePathsUnscoped && bareTable.permissions.readPaths == ["/x"])
    }
}
