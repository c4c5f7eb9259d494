def log = new File(basedir, 'build.log').text
def check = { boolean ok, String what -> if (!ok) throw new AssertionError(what) }
def file = new File(basedir, 'src/main/c/vec_math.c').canonicalPath
// The goal's failure message starts with the first error, file:line:column, as gcc reported it.
check(log.contains("[ERROR] Failed to execute goal dev.nativeext:nativeext-maven-plugin"), 'the nativeext goal failed the build')
check(log.contains("$file:5:"), "the first error points at vec_math.c line 5")
check(log.find(/(?m)^\[ERROR\] Failed to execute goal dev\.nativeext[^\n]*: \Q$file\E:5:\d+: error: [^\n]*not_declared_anywhere/) != null,
        'the failure line itself names file:line:column and the message')
check(!new File(basedir, 'target/classes/demo/linux-x86_64/libvec_math.so').exists(), 'nothing installed')
return true
