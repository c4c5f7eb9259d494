def log = new File(basedir, 'build.log').text
def check = { boolean ok, String what -> if (!ok) throw new AssertionError(what) }
check(log.contains('shared.vec_math [linux-x86_64]: built: 1 source(s) compiled'), 'native-lib built the extension')
check(log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0, Time elapsed') && log.contains('in app.UsesTheJarTest'), 'app called it from the jar')
check(log.count('nativeext-maven-plugin:') == 1, 'only native-lib runs the plugin')
return true
