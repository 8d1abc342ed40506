"""How a phone's GPU runs the exported graph: Core ML operations -> Metal Performance Shaders.

On Apple devices Core ML splits an ML program between CPU, GPU and Neural Engine. The GPU
part runs as Metal Performance Shaders (MPSGraph / MPS CNN kernels). Apple's frameworks
cannot run on Linux, so the lesson reads the exported program's own operation list and
shows which MPS kernel each one corresponds to.
"""

from __future__ import annotations

from collections import Counter

#: ML program operation type -> the Metal Performance Shaders kernel that computes it.
MPS_KERNELS = {
    "conv": "MPSCNNConvolution (MPSGraph convolution2D)",
    "conv_transpose": "MPSCNNConvolutionTranspose",
    "max_pool": "MPSCNNPoolingMax",
    "avg_pool": "MPSCNNPoolingAverage",
    "relu": "MPSCNNNeuronReLU",
    "leaky_relu": "MPSCNNNeuronReLU (with a slope a)",
    "sigmoid": "MPSCNNNeuronSigmoid",
    "tanh": "MPSCNNNeuronTanH",
    "softmax": "MPSCNNSoftMax",
    "matmul": "MPSCNNFullyConnected (MPSMatrixMultiplication)",
    "linear": "MPSCNNFullyConnected",
    "batch_norm": "MPSCNNBatchNormalization",
    "add": "MPSCNNAdd",
    "mul": "MPSCNNMultiply",
    "concat": "MPSNNConcatenationNode",
    "upsample_nearest_neighbor": "MPSCNNUpsamplingNearest",
    "reshape": "MPSNNReshape",
    "expand_dims": "MPSNNReshape (adds an axis, no arithmetic)",
    "tile": "MPSGraph tileTensor (with expand_dims + reshape: UpSampling2D's nearest-neighbour copy)",
    "pad": "MPSNNPad",
    "transpose": "MPSNNReshape / MPSGraph transpose (layout change)",
}
#: Operations that do no arithmetic on the device (constants, type casts).
NOT_KERNELS = {"const", "cast"}


def mps_plan(operations: list[str]) -> list[tuple[str, str, int]]:
    """``(operation, MPS kernel or 'CPU / no MPS kernel', count)`` in first-seen order, constants left out."""
    counts = Counter(op for op in operations if op not in NOT_KERNELS)
    return [(op, MPS_KERNELS.get(op, "CPU / no MPS kernel"), counts[op]) for op in dict.fromkeys(
        op for op in operations if op not in NOT_KERNELS)]
