import { closeSync, openSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { elementType, encodeValues, type ComputeDtype } from './precision';

// onnx-proto is CommonJS: its namespace object is the default export under ESM.
const { onnx } = onnxProto;

/** ONNX element types used by the graphs (values of onnx.TensorProto.DataType). */
export const DataType = {
  float: 1,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  bfloat16: 16,
} as const;
export type DataTypeName = keyof typeof DataType;

export type Dim = number | string;
export type AttributeValue = number | string | number[] | { float: number };

/** Tensors above this size go to the external weights file; ORT rejects models over 2 GB of protobuf. */
const EXTERNAL_THRESHOLD_BYTES = 1024;
/** Offsets are aligned so ORT can map weights straight from the file. */
const EXTERNAL_ALIGNMENT = 4096;

/**
 * Builds an ONNX graph node by node. Large initializers are appended to an external weights
 * file as they are added, so a model never has to be held twice in memory.
 */
export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private weightsFd: number | null = null;
  private weightsOffset = 0;

  /**
   * @param weightsPath where large initializers go; its file name is what the model refers to.
   * @param dtype the precision of weights and activations (see `weight` and `toFloat32`).
   */
  constructor(
    private readonly weightsPath: string,
    private readonly weightsFileName: string,
    readonly dtype: ComputeDtype = 'float32',
  ) {}

  /** The element type of weights and activations. */
  get computeType(): DataTypeName {
    return elementType(this.dtype);
  }

  input(name: string, type: DataTypeName, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  output(name: string, type: DataTypeName, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A weight or constant tensor; returns its name. */
  initializer(name: string, type: DataTypeName, dims: number[], data: ArrayBufferView): string {
    const unique = this.claim(name);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const tensor: OnnxTypes.ITensorProto = { name: unique, dataType: DataType[type], dims };
    if (bytes.byteLength <= EXTERNAL_THRESHOLD_BYTES) {
      tensor.rawData = bytes.slice();
    } else {
      const offset = this.appendWeights(bytes);
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = [
        { key: 'location', value: this.weightsFileName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ];
    }
    this.initializers.push(tensor);
    return unique;
  }

  /** A weight given in float32, stored in the compute dtype; returns its name. */
  weight(name: string, dims: number[], values: Float32Array): string {
    return this.initializer(name, this.computeType, dims, encodeValues(values, this.dtype));
  }

  /** A float32 `tensor` in the compute dtype: a Cast, or `tensor` itself in a float32 graph. */
  fromFloat32(tensor: string): string {
    return this.dtype === 'float32' ? tensor : this.op('Cast', [tensor], { to: DataType[this.computeType] });
  }

  /** `tensor` (in the compute dtype) as float32: a Cast, or `tensor` itself in a float32 graph. */
  toFloat32(tensor: string): string {
    return this.dtype === 'float32' ? tensor : this.op('Cast', [tensor], { to: DataType.float });
  }

  int64s(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.initializer(name, 'int64', dims, BigInt64Array.from(values, (v) => BigInt(v)));
  }

  floats(name: string, values: Float32Array | number[], dims: number[] = [values.length]): string {
    return this.initializer(name, 'float', dims, Float32Array.from(values));
  }

  /** Adds a node and returns the names of its outputs (one per `outputCount`). */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    options: { domain?: string; outputCount?: number; name?: string } = {},
  ): string[] {
    const base = options.name ?? opType;
    const outputs = Array.from({ length: options.outputCount ?? 1 }, (_, i) => this.claim(`${base}_out${i}`));
    this.nodes.push({
      opType,
      domain: options.domain ?? '',
      name: this.claim(base),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputs;
  }

  /** The single output of a node. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ''): string {
    return this.node(opType, inputs, attributes, { domain })[0] as string;
  }

  /** Renames the tensor `from` to a graph output `to` (via Identity). */
  alias(from: string, to: string): void {
    this.claim(to);
    this.nodes.push({ opType: 'Identity', domain: '', name: this.claim(`Identity_${to}`), input: [from], output: [to] });
  }

  /** Serializes the model; closes the weights file. */
  finish(opsets: Record<string, number>, name: string): Uint8Array {
    if (this.weightsFd !== null) {
      closeSync(this.weightsFd);
      this.weightsFd = null;
    }
    const model = onnx.ModelProto.create({
      irVersion: 10,
      producerName: 'rerankd',
      opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
      graph: {
        name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private appendWeights(bytes: Uint8Array): number {
    if (this.weightsFd === null) this.weightsFd = openSync(this.weightsPath, 'w');
    const padding = (EXTERNAL_ALIGNMENT - (this.weightsOffset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (padding > 0) {
      writeSync(this.weightsFd, new Uint8Array(padding));
      this.weightsOffset += padding;
    }
    const offset = this.weightsOffset;
    let written = 0;
    while (written < bytes.byteLength) {
      written += writeSync(this.weightsFd, bytes, written, bytes.byteLength - written);
    }
    this.weightsOffset += bytes.byteLength;
    return offset;
  }

  private claim(name: string): string {
    let unique = name;
    for (let i = 1; this.usedNames.has(unique); i++) unique = `${name}_${i}`;
    this.usedNames.add(unique);
    return unique;
  }
}

function valueInfo(name: string, type: DataTypeName, dims: Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}
