import java.util.jar.JarFile

def log = new File(basedir, 'build.log').text
def check = { boolean ok, String what -> if (!ok) throw new AssertionError(what) }
check(log.contains('demo.vec_math [linux-x86_64]: built: 1 source(s) compiled'), 'the goal built the extension')
check(new File(basedir, 'target/generated-sources/nativeext/demo/VecMath.java').isFile(), 'binding source generated')
check(log.contains('Tests run: 1, Failures: 0, Errors: 0'), "the project's test called the natives")

def jar = new JarFile(new File(basedir, 'target/vecmath-packaged-1.0.jar'))
def names = jar.entries().collect { it.name }
jar.close()
check(names.contains('demo/VecMath.class'), "binding class in the jar: $names")
check(names.contains('demo/linux-x86_64/libvec_math.so'), "library in the jar, JavaCPP's layout: $names")
check(!names.any { it.endsWith('.c') || it.endsWith('.h') }, "no C sources in the jar: $names")
return true
