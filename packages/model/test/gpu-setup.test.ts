import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  detectGpuSetup,
  formatGpuSetupReport,
  parseGpuList,
  parseLdconfig,
  parseLddMissing,
  parseNvidiaSmi,
  planProviderInstall,
  type CommandResult,
  type SystemProbe,
} from '../src/runtime/cuda-setup';

// Outputs recorded from real machines (trimmed), fed to the detection through a fake probe.
const NVIDIA_SMI_13 = `Wed Nov 26 12:00:00 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.65.06              Driver Version: 580.65.06      CUDA Version: 13.0     |
|-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
|   0  NVIDIA H100 80GB HBM3          On  |   00000000:18:00.0 Off |                    0 |
+-----------------------------------------+------------------------+----------------------+
`;
const NVIDIA_SMI_12 = NVIDIA_SMI_13.replace('580.65.06 ', '550.54.15 ').replace('Driver Version: 580.65.06', 'Driver Version: 550.54.15').replace('CUDA Version: 13.0', 'CUDA Version: 12.4');
const GPU_LIST = 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-6b1c2a4e-1111-2222-3333-444455556666)\n';

function ldconfig(libs: Record<string, string>): string {
  return [`${Object.keys(libs).length + 1} libs found in cache \`/etc/ld.so.cache'`, ...Object.entries(libs).map(([soname, path]) => `\t${soname} (libc6,x86-64) => ${path}`), '\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6'].join('\n');
}

const CUDA12_LIBS = {
  'libcudart.so.12': '/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12',
  'libcublas.so.12': '/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublas.so.12',
  'libcublasLt.so.12': '/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublasLt.so.12',
  'libcudnn.so.9': '/usr/lib/x86_64-linux-gnu/libcudnn.so.9',
};

const NATIVE_DIR = '/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64';
const ORT = { version: '1.29.0', nativeDir: NATIVE_DIR };

interface FakeMachine {
  commands: Record<string, CommandResult | null>;
  dirs?: Record<string, string[]>;
  env?: NodeJS.ProcessEnv;
}

/** A probe answering from recorded outputs; a command it does not know is "not installed". */
function fakeProbe(machine: FakeMachine): SystemProbe & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    env: machine.env ?? {},
    run(command, args) {
      const key = [command, ...args].join(' ');
      ran.push(key);
      return machine.commands[key] ?? null;
    },
    listDir: (dir) => machine.dirs?.[dir] ?? [],
  };
}

const ok = (stdout: string): CommandResult => ({ status: 0, stdout, stderr: '' });
const withProvider = { [NATIVE_DIR]: ['libonnxruntime.so.1', 'onnxruntime_binding.node', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] };
const withoutProvider = { [NATIVE_DIR]: ['libonnxruntime.so.1', 'onnxruntime_binding.node'] };

describe('parsing what the machine says', () => {
  test('nvidia-smi banner, GPU list, ldconfig cache and ldd', () => {
    assert.deepEqual(parseNvidiaSmi(NVIDIA_SMI_13), { version: '580.65.06', cudaVersion: '13.0' });
    assert.equal(parseNvidiaSmi('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.'), null);
    assert.deepEqual(parseGpuList(`${GPU_LIST}GPU 1: NVIDIA L4 (UUID: GPU-x)\n`), ['0: NVIDIA H100 80GB HBM3', '1: NVIDIA L4']);
    const cache = parseLdconfig(`${ldconfig(CUDA12_LIBS)}\n\tlibcudart.so.12 (libc6) => /usr/lib32/libcudart.so.12`);
    assert.equal(cache.get('libcudart.so.12'), CUDA12_LIBS['libcudart.so.12']);
    assert.equal(cache.get('libc.so.6'), '/lib/x86_64-linux-gnu/libc.so.6');
    assert.deepEqual(
      parseLddMissing('\tlinux-vdso.so.1 (0x00007ffd)\n\tlibcublasLt.so.13 => not found\n\tlibcudnn.so.9 => /usr/lib/x86_64-linux-gnu/libcudnn.so.9 (0x7f)\n\tlibcufft.so.12 => not found\n'),
      ['libcublasLt.so.13', 'libcufft.so.12'],
    );
  });
});

describe('detecting a GPU setup', () => {
  test('a CUDA 12 host without the provider: the libraries are found, the provider is what is missing, ORT\'s installer is the plan', () => {
    const probe = fakeProbe({
      commands: { 'nvidia-smi': ok(NVIDIA_SMI_12), 'nvidia-smi -L': ok(GPU_LIST), 'ldconfig -p': ok(ldconfig(CUDA12_LIBS)) },
      dirs: withoutProvider,
    });
    const report = detectGpuSetup(probe, ORT);
    assert.deepEqual(report.driver, { version: '550.54.15', cudaVersion: '12.4', gpus: ['0: NVIDIA H100 80GB HBM3'] });
    assert.equal(report.cudaMajor, 12);
    assert.deepEqual(report.libraries.map((l) => [l.soname, l.path]), Object.entries(CUDA12_LIBS));
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0] as string, /no CUDA provider \(libonnxruntime_providers_cuda\.so, libonnxruntime_providers_shared\.so missing in .*x64\): run rerankd gpu-setup/);
    assert.deepEqual(planProviderInstall(report), { kind: 'ort-installer', cudaMajor: 12 });
    assert.ok(!probe.ran.some((c) => c.startsWith('ldd')), 'ldd only runs on an installed provider');
  });

  test('a CUDA 13 host whose libraries come through LD_LIBRARY_PATH (as on the device machine): the npm package is the plan', () => {
    const torchLib = '/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib';
    const probe = fakeProbe({
      commands: { 'nvidia-smi': ok(NVIDIA_SMI_13), 'nvidia-smi -L': ok(GPU_LIST), 'ldconfig -p': ok(ldconfig({})) },
      dirs: { ...withoutProvider, [torchLib]: ['libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcudnn.so.9', 'libnvrtc.so.13'] },
      env: { LD_LIBRARY_PATH: `/nonexistent:${torchLib}` },
    });
    const report = detectGpuSetup(probe, ORT);
    assert.equal(report.cudaMajor, 13);
    assert.ok(report.libraries.every((l) => l.path?.startsWith(torchLib)));
    assert.deepEqual(planProviderInstall(report), { kind: 'npm-package', cudaMajor: 13, packageSpec: 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9' });
    // That build of the provider fits onnxruntime-node 1.29.0 only.
    assert.equal(planProviderInstall(detectGpuSetup(probe, { ...ORT, version: '1.30.0' })).kind, 'none');
  });

  test('missing cuDNN and cuBLASLt are each named, with the soname to install', () => {
    const { 'libcudnn.so.9': _cudnn, 'libcublasLt.so.12': _lt, ...partial } = CUDA12_LIBS;
    const report = detectGpuSetup(
      fakeProbe({ commands: { 'nvidia-smi': ok(NVIDIA_SMI_12), 'nvidia-smi -L': ok(GPU_LIST), 'ldconfig -p': ok(ldconfig(partial)) }, dirs: withoutProvider }),
      ORT,
    );
    const missing = report.problems.filter((p) => /is not found by the loader/.test(p));
    assert.deepEqual(missing.map((p) => /\((lib[^)]+)\)/.exec(p)?.[1]), ['libcublasLt.so.12', 'libcudnn.so.9']);
    const text = formatGpuSetupReport(report);
    assert.match(text, /cuDNN 9 +MISSING +libcudnn\.so\.9/);
    assert.match(text, /CUDA runtime \(cudart\) +ok +\/usr\/local\/cuda-12\.4/);
  });

  test('with the provider installed, ldd names what it links against and cannot find', () => {
    const probe = fakeProbe({
      commands: {
        'nvidia-smi': ok(NVIDIA_SMI_12),
        'nvidia-smi -L': ok(GPU_LIST),
        'ldconfig -p': ok(ldconfig(CUDA12_LIBS)),
        [`ldd ${NATIVE_DIR}/libonnxruntime_providers_cuda.so`]: ok('\tlibcufft.so.11 => not found\n\tlibcublas.so.12 => /usr/local/cuda/lib64/libcublas.so.12 (0x7f)\n'),
      },
      dirs: withProvider,
    });
    const report = detectGpuSetup(probe, ORT);
    assert.deepEqual(report.unresolved, ['libcufft.so.11']);
    assert.deepEqual(report.problems, ['libcufft.so.11, which the CUDA provider links against, is not found by the loader: install it, or add its folder to LD_LIBRARY_PATH']);
    assert.equal(planProviderInstall(report).kind, 'none');
  });

  test('everything present: no problems, and the report says CUDA is ready', () => {
    const probe = fakeProbe({
      commands: { 'nvidia-smi': ok(NVIDIA_SMI_12), 'nvidia-smi -L': ok(GPU_LIST), 'ldconfig -p': ok(ldconfig(CUDA12_LIBS)), [`ldd ${NATIVE_DIR}/libonnxruntime_providers_cuda.so`]: ok('\tlibcudart.so.12 => /x (0x1)\n') },
      dirs: withProvider,
    });
    const report = detectGpuSetup(probe, ORT);
    assert.deepEqual(report.problems, []);
    assert.match(formatGpuSetupReport(report), /CUDA is ready/);
  });

  test('no driver: nvidia-smi missing or failing is reported as such', () => {
    const absent = detectGpuSetup(fakeProbe({ commands: { 'ldconfig -p': ok(ldconfig({})) }, dirs: withoutProvider }), ORT);
    assert.equal(absent.driver, null);
    assert.match(absent.problems[0] as string, /nvidia-smi is not installed/);
    assert.equal(absent.cudaMajor, null);
    assert.equal(planProviderInstall(absent).kind, 'none');
    const failing = detectGpuSetup(
      fakeProbe({ commands: { 'nvidia-smi': { status: 9, stdout: '', stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n" }, 'ldconfig -p': ok(ldconfig({})) }, dirs: withoutProvider }),
      ORT,
    );
    assert.match(failing.problems[0] as string, /nvidia-smi failed \(exit 9\): NVIDIA-SMI has failed because it couldn't communicate/);
  });

  test('CUDA 13 libraries with a CUDA 12 driver: the driver is too old', () => {
    const libs = { 'libcudart.so.13': '/c/libcudart.so.13', 'libcublas.so.13': '/c/libcublas.so.13', 'libcublasLt.so.13': '/c/libcublasLt.so.13', 'libcudnn.so.9': '/c/libcudnn.so.9' };
    const report = detectGpuSetup(fakeProbe({ commands: { 'nvidia-smi': ok(NVIDIA_SMI_12), 'nvidia-smi -L': ok(GPU_LIST), 'ldconfig -p': ok(ldconfig(libs)) }, dirs: withoutProvider }), ORT);
    assert.equal(report.cudaMajor, 13);
    assert.ok(report.problems.some((p) => /need a newer driver: 550\.54\.15 supports CUDA 12\.4 at most/.test(p)));
  });
});
