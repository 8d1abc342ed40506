"""What the exported Core ML program contains, and how to find out where a device runs it.

What the workbook can check: the operations of the converted ML program (read from the
``.mlpackage`` by :func:`mlbasics.export.coreml.describe`). What it cannot: where they run. On an
iPhone, iPad or Mac, Core ML decides at load time, per operation, between CPU, GPU (Metal
Performance Shaders / MPSGraph) and Neural Engine, depending on the chip, the OS version, the
data types and shapes, and ``MLModelConfiguration.computeUnits``. Apple's ``MLComputePlan``
(macOS 14.4+ / iOS 17.4+, per Apple's documentation) reports that placement for a compiled model on
the device itself; the lesson prints the Swift that asks it (:data:`COMPUTE_PLAN_SWIFT`). That Swift
was never compiled (no Apple SDK on Linux): it is written against Apple's documented signatures.
Nothing here is a claim about a device: Apple's frameworks do not run on Linux.
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

#: The ``MLComputePlan`` API's availability (Apple's documentation: iOS 17.4, macOS 14.4).
COMPUTE_PLAN_AVAILABLE = "macOS 14.4+ / iOS 17.4+"

#: How to see the placement on a device, as a macOS command-line tool's ``main.swift``. Not compiled
#: (Linux has no Apple SDK, and no Mac has built it for this workbook): written against Apple's documented API,
#: ``MLComputePlan.load(contentsOf:configuration:)``, ``deviceUsage(for:) -> MLComputePlan.DeviceUsage?``
#: (``preferred: MLComputeDevice``, an enum: ``.cpu``, ``.gpu``, ``.neuralEngine``) and
#: ``estimatedCost(of:) -> MLComputePlan.Cost?`` (``weight: Double``).
COMPUTE_PLAN_SWIFT = """\
// main.swift of a macOS command-line tool. NOT COMPILED: written against Apple's Core ML documentation.
import CoreML

@available(macOS 14.4, iOS 17.4, *)
func printComputePlan(of package: URL) async throws {
    let configuration = MLModelConfiguration()
    configuration.computeUnits = .all
    let compiled = try await MLModel.compileModel(at: package)  // .mlpackage -> .mlmodelc
    let plan = try await MLComputePlan.load(contentsOf: compiled, configuration: configuration)
    guard case let .program(program) = plan.modelStructure, let main = program.functions["main"] else {
        print("not an ML program with a main function")
        return
    }
    func name(_ device: MLComputeDevice) -> String {
        switch device {
        case .cpu: return "CPU"
        case .gpu: return "GPU"
        case .neuralEngine: return "Neural Engine"
        @unknown default: return "other"
        }
    }
    for operation in main.block.operations {
        let device = plan.deviceUsage(for: operation).map { name($0.preferred) } ?? "-"  // nil: not determined
        let share = plan.estimatedCost(of: operation)?.weight ?? 0  // share of the model's estimated cost
        print(operation.operatorName, device, share)
    }
}

if #available(macOS 14.4, iOS 17.4, *) {
    try await printComputePlan(of: URL(fileURLWithPath: "tiny_yolo3-coreml.mlpackage"))
} else {
    print("MLComputePlan needs macOS 14.4 or iOS 17.4")
}"""


def operation_counts(operations: list[str]) -> list[tuple[str, int, str]]:
    """``(operation, count, what it computes)`` in first-seen order, constants and casts left out
    (an operation missing from :data:`OPERATIONS` is described as ``"(not described here)"``)."""
    computed = [op for op in operations if op not in NOT_COMPUTED]
    counts = Counter(computed)
    return [(op, counts[op], OPERATIONS.get(op, "(not described here)")) for op in dict.fromkeys(computed)]
