#if canImport(Glibc)
import Glibc
#endif

/// A worker killed at a chosen point, for restart testing: with
/// `BOURSE_FAULT_KILL_WORKER=NODE:N` the host kills the first worker of
/// node `NODE` with SIGKILL right after its Nth delivered batch was
/// acknowledged, while later batches may be in flight — as if the worker had
/// died there. Supervision then restarts it and delivers every batch it had
/// not acknowledged again. Unset (the normal case), nothing happens. `N`
/// must come before the node's last batch: a kill found only in `flush` or
/// `stop` is a failed call, not restarted.
enum WorkerFaultInjection {
    /// The node id and batch number of `BOURSE_FAULT_KILL_WORKER`.
    static let target: (node: String, batch: Int)? = {
        guard let raw = getenv("BOURSE_FAULT_KILL_WORKER") else { return nil }
        let text = String(cString: raw)
        guard let colon = text.lastIndex(of: ":"), let batch = Int(text[text.index(after: colon)...]), batch > 0 else {
            return nil
        }
        return (String(text[..<colon]), batch)
    }()

    /// True when the first worker (`restarts` 0) of `node` is to be killed
    /// after its `acknowledged`th batch.
    static func shouldKill(node: String, acknowledged: Int, restarts: Int) -> Bool {
        guard let target, restarts == 0 else { return false }
        return target.node == node && target.batch == acknowledged
    }
}
