import type { Command } from 'commander';
import { DeviceError } from '@rerankd/protocol';
import { detectGpuSetup, findOrtInstall, formatGpuSetupReport, installProvider, planProviderInstall, systemProbe } from '@rerankd/model';

export function registerGpuSetup(program: Command): void {
  program
    .command('gpu-setup')
    .description(
      'Make onnxruntime-node able to run on NVIDIA GPUs: checks the driver, cudart, cuBLAS and cuDNN 9, then installs ' +
        "ONNX Runtime's CUDA provider (CUDA 12: onnxruntime-node's installer; CUDA 13: the npm package with ORT 1.29's CUDA 13 build).",
    )
    .option('--check', 'only report what is there and what is missing (exit code 1 when CUDA cannot work)')
    .action((flags: { check?: boolean }) => {
      const ort = findOrtInstall();
      const probe = systemProbe();
      let report = detectGpuSetup(probe, ort);
      process.stdout.write(formatGpuSetupReport(report));
      if (!flags.check) {
        const plan = planProviderInstall(report);
        if (plan.kind === 'none') {
          if (report.ort.providerLibraries.some((lib) => !lib.present)) throw new DeviceError('cuda', `cannot install the CUDA provider: ${plan.reason}`);
        } else {
          process.stdout.write(`\ninstalling the CUDA ${plan.cudaMajor} provider into ${ort.nativeDir}\n`);
          try {
            for (const line of installProvider(plan, ort, probe)) process.stdout.write(`  ${line}\n`);
          } catch (error) {
            throw new DeviceError('cuda', (error as Error).message);
          }
          report = detectGpuSetup(probe, ort);
          process.stdout.write(`\nafter installing:\n${formatGpuSetupReport(report)}`);
        }
      }
      if (report.problems.length > 0) process.exitCode = 1;
    });
}
