// Runs where nvcc exists (NVCC, PATH or /usr/local/cuda/bin); shows as skipped elsewhere.
def env = System.getenv()
if (env['NVCC'] && new File(env['NVCC']).canExecute()) return true
def dirs = (env['PATH'] ?: '').split(File.pathSeparator).toList() + ['/usr/local/cuda/bin']
return dirs.any { new File(it, 'nvcc').canExecute() }
