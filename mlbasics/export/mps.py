"""What the exported Core ML program contains, and how to find out where a device runs it.

What the workbook can check: the operations of the converted ML program (read from the
``.mlpackage`` by :func:`mlbasics.export.coreml.describe`). What it cannot: where they run. On an
iPhone, iPad or Mac, Core ML decides at load time, per operation, between CPU, GPU (Metal
Performance Shaders / MPSGraph) and Neural Engine, depending on the chip, the OS version, the
data types and shapes, and ``MLModelConfiguration.computeUnits``. Apple's ``MLComputePlan``
(macOS 14+ / iOS 17+) reports that placement for a compiled model on the device itself; the
lesson prints the Swift that asks it (:data:`COMPUTE_PLAN_SWIFT`). Nothing here is a claim about
a device: Apple's frameworks do not run on Linux.
"""

from __future__ import annotations

from collections import Counter

#: ML program operation type -> what it computes (plain words; no claim about which unit runs it).
OPERATIONS = {
    "conv": "2-D convolution (batch normalisation is folded into its weights by the converter)",
    "conv_transpose": "transposed convolution",
    "max_pool": "max pooling: the largest value of each window",
    "avg_pool": "average pooling",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU: x, or 0.1 x below 0",
    "sigmoid": "logistic function",
    "tanh": "tanh",
    "softmax": "softmax",
    "matmul": "matrix product",
    "linear": "fully connected layer",
    "batch_norm": "batch normalisation (not folded)",
    "add": "element-wise sum",
    "mul": "element-wise product",
    "concat": "join tensors along the channel axis",
    "upsample_nearest_neighbor": "nearest-neighbour upsampling",
    "reshape": "new shape, same numbers",
    "expand_dims": "adds an axis, no arithmetic",
    "tile": "repeats a tensor (with expand_dims + reshape: UpSampling2D's 2x2 copy)",
    "pad": "adds a border of constants (Darknet's stride-2 padding)",
    "transpose": "reorders axes (layout change)",
}
#: Operations that do no arithmetic on the device (constants, type casts).
NOT_COMPUTED = {"const", "cast"}

#: How to see the placement on a device: Swift for macOS 14+ / iOS 17+ (run it there, not here).
COMPUTE_PLAN_SWIFT = """\
import CoreML
let config = MLModelConfiguration(); config.computeUnits = .all
let url = try await MLModel.compileModel(at: URL(fileURLWithPath: "tiny_yolo3-coreml.mlpackage"))
let plan = try await MLComputePlan.load(contentsOf: url, configuration: config)
guard case let .program(program) = plan.modelStructure else { fatalError("not an ML program") }
for op in program.functions["main"]!.block.operations {
    let usage = plan.deviceUsage(for: op)        // preferred: CPU, GPU or Neural Engine
    let cost = plan.estimatedCost(of: op)?.weight // share of the model's estimated cost
    print(op.operatorName, usage?.preferred ?? "-", cost ?? 0)
}"""


def operation_counts(operations: list[str]) -> list[tuple[str, int, str]]:
    """``(operation, count, what it computes)`` in first-seen order, constants and casts left out
    (an operation missing from :data:`OPERATIONS` is described as ``"(not described here)"``)."""
    computed = [op for op in operations if op not in NOT_COMPUTED]
    counts = Counter(computed)
    return [(op, counts[op], OPERATIONS.get(op, "(not described here)")) for op in dict.fromkeys(computed)]
