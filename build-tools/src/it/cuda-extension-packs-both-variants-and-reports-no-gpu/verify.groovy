import java.util.jar.JarFile

def log = new File(basedir, 'build.log').text
def check = { boolean ok, String what -> if (!ok) throw new AssertionError(what) }
check(log.contains('demo.vec_scale [linux-x86_64]: built: 1 source(s) compiled'), 'CPU variant: the .c only')
check(log.contains('demo.vec_scale [linux-x86_64-cuda]: built: 2 source(s) compiled'), 'CUDA variant: .c and .cu')
check(log.contains('Tests run: 1, Failures: 0, Errors: 0'), 'the test loaded the -cuda variant')
def jar = new JarFile(new File(basedir, 'target/cuda-packed-1.0.jar'))
def names = jar.entries().collect { it.name }
jar.close()
check(names.contains('demo/linux-x86_64/libvec_scale.so'), "CPU variant packed: $names")
check(names.contains('demo/linux-x86_64-cuda/libvec_scale.so'), "CUDA variant packed: $names")
return true
