// Isolation forest (Liu, Ting & Zhou 2008) on fixed-length feature vectors.

/// An isolation forest: random trees that split random features at random
/// points; anomalies are isolated in fewer splits than normal points.
/// Building is fully determined by the generator's seed.
public struct IsolationForest: Sendable {
    /// One node of a tree, stored in a flat array.
    struct Node: Sendable {
        /// Split feature; -1 for a leaf.
        var feature: Int32
        /// Split value (left when below).
        var split: Double
        /// Left child index (right = left + 1), or, for a leaf, unused.
        var left: Int32
        /// For a leaf: expected remaining path length of the points that reached it.
        var leafAdjustment: Double
    }

    private var trees: [[Node]] = []
    /// Number of points each tree was built from.
    public private(set) var sampleSize = 0

    /// Builds `treeCount` trees, each from `sampleSize` points drawn without
    /// replacement from `points` (all of them when fewer), with depth at most
    /// ⌈log2(sampleSize)⌉.
    public init(points: [[Double]], treeCount: Int, sampleSize requested: Int,
                generator: inout SeededGenerator) {
        guard !points.isEmpty, treeCount > 0 else { return }
        let size = min(max(requested, 2), points.count)
        sampleSize = size
        let depthLimit = log2Ceiling(size)
        var indices = Array(points.indices)
        for _ in 0..<treeCount {
            // Partial Fisher-Yates: the first `size` indices are the sample.
            for i in 0..<size {
                let j = i + Int(generator.next() % UInt64(indices.count - i))
                indices.swapAt(i, j)
            }
            var nodes: [Node] = []
            nodes.reserveCapacity(2 * size)
            var sample = Array(indices[0..<size])
            nodes.append(Node(feature: -1, split: 0, left: -1, leafAdjustment: 0))
            Self.grow(&nodes, at: 0, sample: &sample[...], points: points, depth: 0, depthLimit: depthLimit,
                      generator: &generator)
            trees.append(nodes)
        }
    }

    /// Whether the forest has trees.
    public var isEmpty: Bool { trees.isEmpty }

    /// Anomaly score 2^(−E[h(x)] / c(ψ)) in (0, 1]: about 0.5 or less for
    /// normal points, near 1 for points isolated at once. 0 for an empty forest.
    public func score(_ point: [Double]) -> Double {
        guard !trees.isEmpty else { return 0 }
        var total = 0.0
        for nodes in trees {
            var index = 0
            var depth = 0.0
            while nodes[index].feature >= 0 {
                let node = nodes[index]
                index = Int(node.left) + (point[Int(node.feature)] < node.split ? 0 : 1)
                depth += 1
            }
            total += depth + nodes[index].leafAdjustment
        }
        let mean = total / Double(trees.count)
        return pow2(-mean / Self.averagePathLength(sampleSize))
    }

    /// c(n): the average path length of an unsuccessful search in a binary search tree of n points.
    public static func averagePathLength(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        let harmonic = logE(Double(n - 1)) + 0.5772156649015329
        return 2 * harmonic - 2 * Double(n - 1) / Double(n)
    }

    private static func grow(_ nodes: inout [Node], at index: Int, sample: inout ArraySlice<Int>, points: [[Double]],
                             depth: Int, depthLimit: Int, generator: inout SeededGenerator) {
        let dimension = points[sample[sample.startIndex]].count
        guard sample.count > 1, depth < depthLimit, dimension > 0 else {
            nodes[index].leafAdjustment = averagePathLength(sample.count)
            return
        }
        // Pick a feature that varies in this sample (give up after a few tries: leaf).
        var chosen = -1
        var low = 0.0
        var high = 0.0
        for _ in 0..<max(4, dimension) {
            let feature = Int(generator.next() % UInt64(dimension))
            low = .infinity
            high = -.infinity
            for i in sample {
                let v = points[i][feature]
                if v < low { low = v }
                if v > high { high = v }
            }
            if high > low { chosen = feature; break }
        }
        guard chosen >= 0 else {
            nodes[index].leafAdjustment = averagePathLength(sample.count)
            return
        }
        let unit = Double(generator.next() >> 11) / Double(1 << 53)
        var split = low + unit * (high - low)
        if split <= low { split = high }  // keep both sides non-empty
        // Partition the slice in place: below the split first.
        var boundary = sample.startIndex
        for i in sample.indices where points[sample[i]][chosen] < split {
            sample.swapAt(i, boundary)
            boundary += 1
        }
        let left = nodes.count
        nodes[index].feature = Int32(chosen)
        nodes[index].split = split
        nodes[index].left = Int32(left)
        nodes.append(Node(feature: -1, split: 0, left: -1, leafAdjustment: 0))
        nodes.append(Node(feature: -1, split: 0, left: -1, leafAdjustment: 0))
        var lower = sample[sample.startIndex..<boundary]
        var upper = sample[boundary..<sample.endIndex]
        grow(&nodes, at: left, sample: &lower, points: points, depth: depth + 1, depthLimit: depthLimit,
             generator: &generator)
        grow(&nodes, at: left + 1, sample: &upper, points: points, depth: depth + 1, depthLimit: depthLimit,
             generator: &generator)
    }
}

/// ⌈log2(n)⌉ for n ≥ 1.
func log2Ceiling(_ n: Int) -> Int {
    var depth = 0
    while (1 << depth) < n { depth += 1 }
    return max(depth, 1)
}
