// Online ridge regression.
import Testing
@testable import BourseModels

@Test func recursiveLeastSquaresRecoversALinearRelation() {
    var model = RecursiveLeastSquares(featureCount: 2, ridge: 1e-6)
    var generator = SeededGenerator(seed: 5)
    func unit() -> Double { Double(generator.next() >> 11) / Double(1 << 53) - 0.5 }
    for _ in 0..<500 {
        let x = [unit() * 10, unit() * 10]
        model.update(features: x, target: 2 * x[0] - 3 * x[1] + 1)
    }
    #expect(abs(model.weights[0] - 2) < 1e-6)
    #expect(abs(model.weights[1] + 3) < 1e-6)
    #expect(abs(model.weights[2] - 1) < 1e-6)
    #expect(abs(model.predict([1, 1]) - 0) < 1e-6)
    #expect(model.observations == 500)
}

@Test func ridgePenaltyShrinksWeightsOnFewObservations() {
    var loose = RecursiveLeastSquares(featureCount: 1, ridge: 1e-6)
    var tight = RecursiveLeastSquares(featureCount: 1, ridge: 100)
    for x in [1.0, 2.0, 3.0] {
        loose.update(features: [x], target: 5 * x)
        tight.update(features: [x], target: 5 * x)
    }
    #expect(abs(tight.weights[0]) < abs(loose.weights[0]))
}

@Test func updateReturnsThePriorError() {
    var model = RecursiveLeastSquares(featureCount: 1)
    #expect(model.update(features: [1], target: 4) == 4)  // predicted 0 before learning
}

@Test func forgettingTracksAChangedRelation() {
    var forgetful = RecursiveLeastSquares(featureCount: 1, ridge: 1e-3, forgetting: 0.9)
    var generator = SeededGenerator(seed: 8)
    for i in 0..<400 {
        let x = Double(generator.next() % 100) / 10
        forgetful.update(features: [x], target: (i < 200 ? 1 : -1) * x)
    }
    #expect(abs(forgetful.weights[0] + 1) < 1e-3)
}
