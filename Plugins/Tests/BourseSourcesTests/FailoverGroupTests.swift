// Failover scenarios with exact bar-for-bar output (volume tags the source: 1 primary, 2 backup).
import BourseSources
import Testing

func policy(recovery: Int = 2, stall: Int64 = 2, retry: Int64 = 1, maxJump: Double? = nil) -> FailoverPolicy {
    var p = FailoverPolicy()
    p.recovery = recovery
    p.stallTimeout = stall * 1_000_000_000
    p.retryInterval = retry * 1_000_000_000
    p.maxJump = maxJump
    return p
}

@Test func healthyPrimaryIsPublishedAloneWithoutSwitches() {
    let clock = ManualClock()
    let group = FailoverGroup(children: [("primary", ScriptedFeed(scriptBars(["A"], 1...10, tag: 1), clock: clock)),
                                         ("backup", ScriptedFeed(scriptBars(["A"], 1...10, tag: 2), clock: clock))],
                              policy: policy(), clock: { clock.now })
    let out = run(group, clock: clock)
    #expect(tags(out.items) == (1...10).map { "A@\($0):1" })
    #expect(out.switches.isEmpty && group.stats.switches == 0 && group.stats.published == 10)
}

@Test func primaryErrorsThenComesBack() {
    let clock = ManualClock()
    let primary = ScriptedFeed(scriptBars(["A"], 1...10, tag: 1), failAt: [5], clock: clock)
    let group = FailoverGroup(children: [("primary", primary), ("backup", ScriptedFeed(scriptBars(["A"], 1...10, tag: 2), clock: clock))],
                              policy: policy(), clock: { clock.now })
    let out = run(group, clock: clock)
    #expect(tags(out.items) == ["A@1:1", "A@2:1", "A@3:1", "A@4:1", "A@5:1", "A@6:2", "A@7:2", "A@8:2", "A@9:1", "A@10:1"])
    #expect(out.switches.map(\.description) == [
        "primary → backup (error: connection reset at item 5)", "backup → primary (recovered: 2 consecutive valid items)",
    ])
    #expect(group.stats.errors == 1 && group.stats.switchesByReason == ["error": 1, "recovered": 1])
    #expect(group.stats.published == 10 && group.stats.gaps == 0)
}

@Test func primaryDiesForGood() {
    let clock = ManualClock()
    let primary = ScriptedFeed(scriptBars(["A"], 1...10, tag: 1), failAt: Array(repeating: 3, count: 100), clock: clock)
    let group = FailoverGroup(children: [("primary", primary), ("backup", ScriptedFeed(scriptBars(["A"], 1...10, tag: 2), clock: clock))],
                              policy: policy(), clock: { clock.now })
    let out = run(group, clock: clock)
    #expect(tags(out.items) == ["A@1:1", "A@2:1", "A@3:1"] + (4...10).map { "A@\($0):2" })
    #expect(out.switches.map(\.reason.name) == ["error"])
    #expect(group.stats.errors > 1)  // retried every second, failing each time
}

@Test func primaryStallsThenComesBack() {
    let clock = ManualClock()
    let primary = ScriptedFeed(scriptBars(["A"], 1...12, tag: 1), stallAt: 6, stallUntilSeconds: 6, clock: clock)
    let group = FailoverGroup(children: [("primary", primary), ("backup", ScriptedFeed(scriptBars(["A"], 1...12, tag: 2), clock: clock))],
                              policy: policy(), clock: { clock.now })
    let out = run(group, clock: clock)
    #expect(tags(out.items) == ["A@1:1", "A@2:1", "A@3:1", "A@4:1", "A@5:1", "A@6:1", "A@7:2", "A@8:2", "A@9:2", "A@10:2",
                                "A@11:1", "A@12:1"])
    #expect(out.switches.map(\.description) == ["primary → backup (stalled: nothing for 3000 ms)",
                                                "backup → primary (recovered: 2 consecutive valid items)"])
    #expect(group.stats.stalls == 1)
}

@Test func badPrintOnOneOfSeveralInstruments() {
    let clock = ManualClock()
    var items = scriptBars(["A", "B"], 1...6, tag: 1)
    let bad = items.firstIndex { $0.symbol == "B" && $0.eventTime == 3 }!
    items[bad].payload = .bar(open: 100.3, high: 301, low: 100.25, close: 300.9, volume: 1, interval: 1)
    let group = FailoverGroup(children: [("primary", ScriptedFeed(items, clock: clock)),
                                         ("backup", ScriptedFeed(scriptBars(["A", "B"], 1...6, tag: 2), clock: clock))],
                              policy: policy(maxJump: 0.5), clock: { clock.now })
    let out = run(group, clock: clock)
    // B@3 is held until B@4 shows it was a bad print: A@4 goes first, B@3 and B@4 come from the backup.
    #expect(tags(out.items) == ["A@1:1", "B@1:1", "A@2:1", "B@2:1", "A@3:1", "A@4:1", "B@3:2", "B@4:2", "A@5:1", "B@5:1",
                                "A@6:1", "B@6:1"])
    #expect(out.switches.map(\.reason.name) == ["invalid", "recovered"])
    #expect(out.switches[0].description.contains("price jump: B bar at 3 moves 200.4% from 100.2 to high 301.0"))
    #expect(group.stats.invalidItems == 1 && group.stats.duplicatesDropped > 0)
}

@Test func badPrintWithoutHealthyBackupIsDroppedAndPrimaryStays() {
    let clock = ManualClock()
    var items = scriptBars(["A"], 1...5, tag: 1)
    items[2].payload = .bar(open: 1, high: 1, low: 1, close: 1, volume: 1, interval: 1)
    let group = FailoverGroup(children: [("primary", ScriptedFeed(items, clock: clock))], policy: policy(maxJump: 0.5),
                              clock: { clock.now })
    let out = run(group, clock: clock)
    #expect(tags(out.items) == ["A@1:1", "A@2:1", "A@4:1", "A@5:1"])
    #expect(out.switches.isEmpty && out.problems.map(\.rule) == ["invalid"])
}

@Test func shorterPrimaryHandsOverAtItsEnd() {
    let clock = ManualClock()
    let group = FailoverGroup(children: [("primary", ScriptedFeed(scriptBars(["A"], 1...4, tag: 1), clock: clock)),
                                         ("backup", ScriptedFeed(scriptBars(["A"], 1...8, tag: 2), clock: clock))],
                              policy: policy(), clock: { clock.now })
    let out = run(group, clock: clock)
    #expect(tags(out.items) == ["A@1:1", "A@2:1", "A@3:1", "A@4:1", "A@5:2", "A@6:2", "A@7:2", "A@8:2"])
    #expect(out.switches.map(\.reason.name) == ["ended"])
}

@Test func tooSmallBufferReportsTheGap() {
    let clock = ManualClock()
    var p = policy()
    p.bufferLimit = 1
    let primary = ScriptedFeed(scriptBars(["A"], 1...10, tag: 1), stallAt: 2, stallUntilSeconds: 100, clock: clock)
    let group = FailoverGroup(children: [("primary", primary), ("backup", ScriptedFeed(scriptBars(["A"], 1...10, tag: 2), clock: clock))],
                              policy: p, clock: { clock.now })
    let out = run(group, clock: clock, maxItems: 4)
    // The backup read 1…4 at once but could keep only one item: bar 3 is lost, and said so.
    #expect(tags(out.items) == ["A@1:1", "A@2:1"] + (4...10).map { "A@\($0):2" })
    #expect(group.stats.gaps == 1)
    #expect(out.problems.filter { $0.rule == "gap" }.map(\.message)
        == ["backup: items of A bar up to 3 were dropped from its standby buffer before this switch and are missing (raise buffer)"])
    #expect(out.switches.map(\.reason.name) == ["stall"])  // the primary resumes only after the backup ended: nothing new to switch back for
}

@Test func validatorRules() {
    var v = FeedValidator(maxJump: 0.1)
    func bar(_ t: Int64, _ c: Double) -> FeedItem {
        FeedItem(symbol: "A", eventTime: t, payload: .bar(open: c, high: c, low: c, close: c, volume: 1, interval: 0))
    }
    func quote(_ t: Int64, _ bid: Double, _ ask: Double) -> FeedItem {
        FeedItem(symbol: "A", eventTime: t, payload: .quote(bidPrice: bid, bidSize: bid.isNaN ? 0 : 1, askPrice: ask, askSize: 1))
    }
    func valid(_ verdict: FeedValidator.Verdict) -> [Int64] { verdict.valid.map(\.eventTime) }
    func reasons(_ verdict: FeedValidator.Verdict) -> [String] { verdict.invalid.map { String($0.reason.prefix(14)) } }
    #expect(valid(v.check(bar(2, 100))) == [2])
    #expect(reasons(v.check(bar(2, 100))) == ["out of order: "])
    #expect(reasons(v.check(bar(1, 100))) == ["out of order: "])
    // A lone jump is held, then found to be a bad print when prices return.
    #expect(v.check(bar(3, 120)) == FeedValidator.Verdict())
    let back = v.check(bar(4, 101))
    #expect(reasons(back) == ["price jump: A "] && back.invalid[0].item.eventTime == 3 && valid(back) == [4])
    // A jump that persists is a real move: both items valid, in order.
    #expect(v.check(bar(5, 150)) == FeedValidator.Verdict())
    #expect(valid(v.check(bar(6, 152))) == [5, 6])
    #expect(reasons(v.check(quote(7, 153, 152))) == ["crossed quote:"])
    #expect(valid(v.check(quote(7, .nan, 152.5))) == [7])
    #expect(valid(v.check(quote(7, 152, 152.5))) == [7])  // ticks may share a timestamp
    #expect(v.check(bar(8, 400)).valid.isEmpty && v.finish().map(\.item.eventTime) == [8])
}
