package kfac4j.examples.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import kfac4j.examples.tasks.Task;
import kfac4j.examples.tasks.TaskOptions;
import kfac4j.nn.Parameter;
import kfac4j.tensor.Tensor;

class TrainingTest {
    private static final TaskOptions TINY = new TaskOptions(3, 0, null, TaskOptions.Scale.TINY);

    static Stream<Arguments> everyTaskWithEveryOptimizer() {
        List<Arguments> all = new ArrayList<>();
        for (String t : Task.NAMES) for (OptimizerChoice o : OptimizerChoice.values()) all.add(Arguments.of(t, o));
        return all.stream();
    }

    private static Curve train(Task task, OptimizerChoice o, double lr, Training.Plan plan) {
        try (OptimizerStep step = o.build(task.model(), task.recipe(), lr, task.recipe().damping(), 3, null)) {
            return Training.run(task, step, plan, null);
        }
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("everyTaskWithEveryOptimizer")
    void everyTaskTrainsWithEveryOptimizerForAFewSteps(String name, OptimizerChoice optimizer) throws Exception {
        Task task = Task.create(name, TINY);
        Map<String, Tensor> before = copy(task.model().namedParameters());
        Curve curve = train(task, optimizer, optimizer.learningRate(task.recipe()), new Training.Plan(3, 2, Double.NaN));

        assertThat(curve.diverged()).isFalse();
        assertThat(curve.points()).extracting(Curve.Point::step).containsExactly(0, 2, 3);
        for (Curve.Point p : curve.points()) {
            assertThat(p.validationLoss()).isFinite().isPositive();
            assertThat(p.validationAccuracy()).isBetween(0.0, 1.0);
        }
        assertThat(curve.last().trainLoss()).isFinite();
        assertThat(curve.last().seconds()).isPositive();
        // Every layer K-FAC or the first-order rule covers has moved.
        for (Map.Entry<String, Parameter> e : task.model().namedParameters().entrySet()) {
            assertThat(e.getValue().value().allClose(before.get(e.getKey()), 0, 0))
                    .as("%s with %s left %s unchanged", name, optimizer.label(), e.getKey()).isFalse();
        }
    }

    @Test
    void theSameSeedGivesTheSameCurveAndAnotherSeedAnotherOne() throws Exception {
        List<Double> first = losses(train(Task.create("cnn", TINY), OptimizerChoice.KFAC_EXPAND, 0.1, new Training.Plan(4, 1, Double.NaN)));
        List<Double> again = losses(train(Task.create("cnn", TINY), OptimizerChoice.KFAC_EXPAND, 0.1, new Training.Plan(4, 1, Double.NaN)));
        TaskOptions other = new TaskOptions(4, 0, null, TaskOptions.Scale.TINY);
        List<Double> otherSeed = losses(train(Task.create("cnn", other), OptimizerChoice.KFAC_EXPAND, 0.1, new Training.Plan(4, 1, Double.NaN)));
        assertThat(again).isEqualTo(first);
        assertThat(otherSeed).isNotEqualTo(first);
    }

    @Test
    void trainingLowersTheLossOnATinyProblem() throws Exception {
        Curve curve = train(Task.create("mlp", TINY), OptimizerChoice.ADAM, 1e-2, new Training.Plan(60, 10, Double.NaN));
        // The mean training loss of the last ten steps against that of the first ten.
        assertThat(curve.last().trainLoss()).isLessThan(0.75 * curve.points().get(1).trainLoss());
    }

    @Test
    void aReachedTargetStopsTheRunAtThatEvaluation() throws Exception {
        Curve curve = train(Task.create("mlp", TINY), OptimizerChoice.SGD, 0.05, new Training.Plan(50, 5, 0.0));
        assertThat(curve.points()).extracting(Curve.Point::step).containsExactly(0, 5);
    }

    @Test
    void aLossThatBlowsUpEndsTheRunAsDiverged() throws Exception {
        Curve curve = train(Task.create("mlp", TINY), OptimizerChoice.SGD, 1e30, new Training.Plan(50, 1, Double.NaN));
        assertThat(curve.diverged()).isTrue();
        assertThat(curve.last().step()).isLessThan(50);
    }

    private static List<Double> losses(Curve c) {
        return c.points().stream().map(Curve.Point::validationLoss).toList();
    }

    private static Map<String, Tensor> copy(Map<String, Parameter> params) {
        Map<String, Tensor> out = new java.util.HashMap<>();
        params.forEach((k, v) -> out.put(k, v.value().copy()));
        return out;
    }
}
