#!/usr/bin/perl
# hyperion-agent — the host side of Hyperion, one implementation for the exporter's own machine and
# for every SSH host: file access, and (run as root) the privileged work of an exporter that holds
# no privilege itself. It speaks one framed protocol on stdin/stdout (or, with --listen, on a
# Unix socket) and answers typed requests with typed results and errno names; nothing it receives
# is ever run as code, but a job's own command.
#
# Only core perl (perl-base on Debian and Ubuntu, perl-interpreter on RHEL): no module outside it,
# nothing written but what a request asks for.
#
# Every decision is made on what was opened, never on a path checked earlier:
#   - paths are opened below the request's root with openat2(RESOLVE_BENEATH) where the kernel
#     has it, never following the last symbolic link; and whatever opened, the descriptor's own
#     path (/proc/self/fd/N) must lie inside the root;
#   - the file or directory opened must not be one of the denied paths the agent was started
#     with (the exporter's data directory, its keys), nor the same inode as a file among them
#     (a hard link), nor lie on a pseudo file system (proc, sysfs, debugfs, cgroup…: decided by
#     the mount the descriptor is on), and reads need a regular file — never a device, FIFO or
#     socket (opened without blocking, so a FIFO cannot hang the agent);
#   - changes are made relative to the opened parent directory (/proc/self/fd/N/NAME), so a
#     directory swapped for a link after the check changes nothing.
#
# Protocol (version 1). Every frame, both ways: a 4-byte big-endian length, then that many bytes.
#   request   ID \0 VERB \0 ARG \0 ARG …
#   answer    ID \0 ok \0 FIELD …                  the result
#             ID \0 err \0 ERRNO \0 MESSAGE        the system call failed (ENOENT, EACCES…)
#             ID \0 refused \0 REASON \0 MESSAGE   the request is not allowed (outside-root,
#                                                  secret, pseudo-fs, not-regular, not-directory,
#                                                  protected, bad-request, bad-unit, no-such-user,
#                                                  no-working-directory, unknown-verb)
#             ID \0 data \0 BYTES                  a piece of a file (read)
#             ID \0 end                            the last piece was sent (read)
#   An upload (write) is answered ok, then takes the client's  ID \0 data \0 BYTES  frames and a
#   final  ID \0 end  (or  ID \0 abort), and answers ok with the entry written.
#   An entry is 8 fields: NAME TYPE SIZE MODE UID GID MTIME_MS LINK_TARGET, TYPE one of
#   f d l p s b c (file, directory, link, FIFO, socket, block and character device).
use strict;
use warnings;
use Errno ();
use Fcntl qw(O_RDONLY O_WRONLY O_CREAT O_EXCL O_NOFOLLOW O_NONBLOCK O_NOCTTY O_DIRECTORY
  S_ISREG S_ISDIR S_ISLNK S_ISFIFO S_ISSOCK S_ISBLK S_ISCHR);
use IO::Handle ();
use POSIX ();
use Config ();

my $PROTOCOL = 1;
my $MAX_REQUEST = 4 << 20;    # an nftables transaction may take 2 MiB
my $CHUNK = 1 << 16;
my $MAX_LIST = 200_000;
my $SYS_OPENAT2 = 437;    # the same number on every architecture (new system calls are unified)
my $RESOLVE_NO_MAGICLINKS = 0x02;
my $RESOLVE_BENEATH = 0x08;

# --serve host-reads: the host reads and `run` (see that section). Taken here, in the same
# FLAG VALUE pairs as the flags below, which pass over it.
my %SERVE;
for (my $i = 0; $i + 1 < @ARGV; $i += 2) { $SERVE{ $ARGV[$i + 1] } = 1 if $ARGV[$i] eq '--serve' }

# File systems the kernel makes up: never served, whatever a root says.
my %PSEUDO = map { $_ => 1 } qw(proc sysfs debugfs tracefs securityfs cgroup cgroup2 bpf pstore
  efivarfs configfs devpts devtmpfs mqueue fusectl binfmt_misc selinuxfs smackfs nsfs autofs
  hugetlbfs rpc_pipefs nfsd);

# --deny PATH: never served nor changed, nor anything below it; --allow PATH: below a denied
# path, served again (the exporter's own files directory inside its data directory).
# --listen PATH: serve a Unix socket (see "listening" below); --peer-user NAME: the only user
# (besides root) whose connections are served.
my (@DENY, @ALLOW, $LISTEN, $PEER_USER);
while (@ARGV) {
  my $flag = shift @ARGV;
  my $value = shift @ARGV;
  last unless defined $value;
  push @DENY, resolved($value) if $flag eq '--deny';
  push @ALLOW, resolved($value) if $flag eq '--allow';
  $LISTEN = $value if $flag eq '--listen';
  $PEER_USER = $value if $flag eq '--peer-user';
}

# Descriptors name their files by their real paths: a denied path is compared in that form.
sub resolved {
  my ($p) = @_;
  require Cwd;
  my $real = -e $p ? Cwd::abs_path($p) : undef;
  return defined($real) ? $real : canonical($p);
}

# Modification times to the millisecond where Time::HiRes is installed (not in perl-base).
my $hires = eval { require Time::HiRes; 1 };
sub lstat_of { return $hires ? Time::HiRes::lstat($_[0]) : lstat($_[0]) }
sub stat_of { return $hires ? Time::HiRes::stat($_[0]) : stat($_[0]) }

binmode STDIN;
binmode STDOUT;

# --- framing -------------------------------------------------------------------------------

sub read_exact {
  my ($n) = @_;
  my $buf = '';
  while (length($buf) < $n) {
    my $got = sysread(STDIN, $buf, $n - length($buf), length($buf));
    exit 0 if !defined($got) || $got == 0;    # the exporter went away
  }
  return $buf;
}

sub read_frame {
  my $length = unpack('N', read_exact(4));
  exit 2 if $length > $MAX_REQUEST;    # not our protocol: stop rather than guess
  return read_exact($length);
}

sub send_frame {
  my ($payload) = @_;
  my $out = pack('N', length($payload)) . $payload;
  while (length($out) > 0) {
    my $n = syswrite(STDOUT, $out);
    exit 0 unless defined $n;
    substr($out, 0, $n) = '';
  }
}

sub reply { my ($id, @fields) = @_; send_frame(join("\0", $id, @fields)) }

# --- failures ------------------------------------------------------------------------------

sub errno_name {
  for my $name (keys %!) { return $name if $!{$name} }
  return 'EIO';
}

sub fail { my ($what) = @_; die { status => 'err', code => errno_name(), message => "$what: $!" } }
sub fail_with { my ($code, $message) = @_; die { status => 'err', code => $code, message => $message } }
sub refuse { my ($reason, $message) = @_; die { status => 'refused', code => $reason, message => $message } }

# --- paths ---------------------------------------------------------------------------------

# Removes "." and empty segments; a ".." is refused outright (the exporter never sends one).
sub canonical {
  my ($p) = @_;
  refuse('bad-request', 'a path is absolute') unless defined($p) && $p =~ m{^/};
  refuse('bad-request', 'a path has no NUL byte') if index($p, "\0") >= 0;
  my @parts = grep { $_ ne '' && $_ ne '.' } split m{/}, $p;
  refuse('bad-request', "a path without \"..\": $p") if grep { $_ eq '..' } @parts;
  return '/' . join('/', @parts);
}

sub inside {
  my ($base, $p) = @_;
  return 1 if $base eq '/';
  return $p eq $base || index($p, "$base/") == 0;
}

sub allowed_again { my ($p) = @_; for my $a (@ALLOW) { return 1 if inside($a, $p) } return 0 }

sub denied_path {
  my ($p) = @_;
  for my $d (@DENY) { return 1 if inside($d, $p) && !allowed_again($p) }
  return 0;
}

# A directory that holds a denied path below it: moving or removing it would move or remove that.
sub holds_denied {
  my ($p) = @_;
  for my $d (@DENY) { return 1 if $d ne $p && inside($p, $d) }
  return 0;
}

# The inodes of the denied files (and of everything below the denied directories but the allowed
# parts), refreshed every 2 s: the exporter replaces its documents by renaming new ones in.
my %DENIED_INODE;
my $denied_at = -1;

sub denied_inodes {
  return \%DENIED_INODE if $denied_at >= 0 && time() - $denied_at < 2;
  %DENIED_INODE = ();
  my $budget = 5000;
  my @todo = @DENY;
  while (@todo && $budget-- > 0) {
    my $p = shift @todo;
    next if allowed_again($p);
    my @st = lstat($p);
    next unless @st;
    if (S_ISREG($st[2])) { $DENIED_INODE{"$st[0]:$st[1]"} = 1 }
    elsif (S_ISDIR($st[2]) && opendir(my $dh, $p)) {
      push @todo, map { $p eq '/' ? "/$_" : "$p/$_" } grep { $_ ne '.' && $_ ne '..' } readdir($dh);
      closedir($dh);
    }
  }
  $denied_at = time();
  return \%DENIED_INODE;
}

# --- opened descriptors --------------------------------------------------------------------

sub fd_path {
  my ($fh) = @_;
  my $p = readlink('/proc/self/fd/' . fileno($fh));
  fail('cannot tell what was opened (is /proc mounted?)') unless defined $p;
  return $p;
}

# The file system type of the mount an open descriptor is on: its mnt_id (fdinfo) looked up in
# mountinfo. The same answer fstatfs(2) gives, without its architecture-specific layout.
sub fd_fstype {
  my ($fh) = @_;
  my $fd = fileno($fh);
  open(my $info, '<', "/proc/self/fdinfo/$fd") or fail('fdinfo');
  my ($mnt) = map { /^mnt_id:\s*(\d+)/ ? $1 : () } <$info>;
  close($info);
  fail_with('EIO', 'no mnt_id in fdinfo (kernel older than 3.15)') unless defined $mnt;
  open(my $mounts, '<', '/proc/self/mountinfo') or fail('mountinfo');
  while (my $line = <$mounts>) {
    my @f = split / /, $line;
    next unless $f[0] eq $mnt;
    for my $i (6 .. $#f) { if ($f[$i] eq '-') { close($mounts); return $f[$i + 1] } }
  }
  close($mounts);
  fail_with('EIO', "mount $mnt not found in mountinfo");
}

sub type_letter {
  my ($mode) = @_;
  return S_ISREG($mode) ? 'f' : S_ISDIR($mode) ? 'd' : S_ISLNK($mode) ? 'l' : S_ISFIFO($mode) ? 'p'
    : S_ISSOCK($mode) ? 's' : S_ISBLK($mode) ? 'b' : S_ISCHR($mode) ? 'c' : 'o';
}

sub entry_fields {
  my ($name, $st, $target) = @_;
  return ($name, type_letter($st->[2]), $st->[7], $st->[2] & 07777, $st->[4], $st->[5],
    int($st->[9] * 1000), defined($target) ? $target : '');
}

# Checks an opened descriptor: inside the root, not denied, not on a pseudo file system, of the
# kind wanted ('file', 'dir', or '' for any). Returns its stat and its canonical path. $for names
# the entry a parent directory was opened for: a denied directory may be opened only to reach a
# part of it that is served again (the exporter's files directory in its data directory).
sub guard {
  my ($fh, $root, $want, $for) = @_;
  my @st = stat($fh);
  # The same times to the millisecond, through the descriptor's own path.
  if ($hires) { my @hi = Time::HiRes::stat('/proc/self/fd/' . fileno($fh)); @st = @hi if @hi }
  fail('fstat') unless @st;
  my $p = fd_path($fh);
  refuse('outside-root', "$p is outside the root $root") unless inside($root, $p);
  my $through = defined($for) && allowed_again($for) && S_ISDIR($st[2]);
  refuse('secret', "$p is never served: it holds what the exporter keeps secret")
    if (denied_path($p) && !$through) || (S_ISREG($st[2]) && denied_inodes()->{"$st[0]:$st[1]"});
  my $fstype = fd_fstype($fh);
  refuse('pseudo-fs', "$p is on a $fstype file system, which is never served") if $PSEUDO{$fstype};
  if ($want eq 'file' && !S_ISREG($st[2])) {
    refuse('not-directory', "$p is a directory") if S_ISDIR($st[2]);
    refuse('not-regular', "$p is not a regular file (a device, FIFO or socket)");
  }
  refuse('not-directory', "$p is not a directory") if $want eq 'dir' && !S_ISDIR($st[2]);
  return (\@st, $p);
}

my $openat2 = 1;    # until the kernel says ENOSYS

# Opens $path (absolute, canonical, inside $root) without following its last component.
sub open_beneath {
  my ($root, $path, $flags) = @_;
  $root = canonical($root);
  $path = canonical($path);
  refuse('outside-root', "$path is outside the root $root") unless inside($root, $path);
  $flags |= O_NOFOLLOW | O_NOCTTY;
  if ($openat2) {
    sysopen(my $dir, $root, O_RDONLY | O_DIRECTORY) or fail("open $root");
    my $rel = $path eq $root ? '.' : substr($path, length($root) eq 1 ? 1 : length($root) + 1);
    my $how = pack('QQQ', $flags, 0, $RESOLVE_BENEATH | $RESOLVE_NO_MAGICLINKS);
    my $fd = syscall($SYS_OPENAT2, fileno($dir), $rel, $how, length($how));
    if ($fd >= 0) {
      open(my $fh, '<&=', $fd) or fail('fdopen');
      return $fh;
    }
    if ($! == Errno::ENOSYS) { $openat2 = 0 }
    elsif ($! == Errno::EXDEV) { refuse('outside-root', "$path leads outside the root $root") }
    else { link_or_fail($root, $path) }
  }
  sysopen(my $fh, $path, $flags) or link_or_fail($root, $path);
  return $fh;
}

# The open failed: when the last component turned out to be a link (ELOOP, or ENOTDIR for a
# directory), say whether it leads out of the root; otherwise report the failure as it is.
sub link_or_fail {
  my ($root, $path) = @_;
  my $errno = $! + 0;
  if (($errno == Errno::ELOOP || $errno == Errno::ENOTDIR) && -l $path) {
    require Cwd;
    my $real = Cwd::abs_path($path);
    refuse('outside-root', "$path leads outside the root $root") if !defined($real) || !inside($root, $real);
  }
  $! = $errno;
  fail("open $path");
}

sub parent_and_name {
  my ($path) = @_;
  $path = canonical($path);
  refuse('bad-request', 'the file system root has no parent') if $path eq '/';
  my $i = rindex($path, '/');
  return ($i == 0 ? '/' : substr($path, 0, $i), substr($path, $i + 1));
}

# The parent directory of $path, opened and checked; returns (handle, "/proc/self/fd/N/NAME", path).
sub open_parent {
  my ($root, $path) = @_;
  my ($parent, $name) = parent_and_name($path);
  my $dir = open_beneath($root, $parent, O_RDONLY | O_DIRECTORY);
  my (undef, $real) = guard($dir, canonical($root), 'dir', canonical($path));
  my $full = $real eq '/' ? "/$name" : "$real/$name";
  refuse('secret', "$full is never served: it holds what the exporter keeps secret") if denied_path($full);
  return ($dir, '/proc/self/fd/' . fileno($dir) . "/$name", $full);
}

# --- verbs ---------------------------------------------------------------------------------

sub v_hello {
  my ($id) = @_;
  reply($id, 'ok', 'hyperion-agent', $PROTOCOL, $>);
}

sub v_realpath {
  my ($id, $root, $path) = @_;
  $root = canonical($root);
  require Cwd;
  my $real = Cwd::abs_path(canonical($path));
  fail("realpath $path") unless defined $real;
  # abs_path accepts a last component that does not exist; realpath(3) does not.
  fail("realpath $path") unless lstat($real);
  refuse('outside-root', "$path leads outside the root $root") unless inside($root, $real);
  refuse('secret', "$real is never served: it holds what the exporter keeps secret") if denied_path($real);
  reply($id, 'ok', $real);
}

sub v_lstat {
  my ($id, $root, $path) = @_;
  if (canonical($path) eq canonical($root)) {
    my $fh = open_beneath($root, $path, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    my ($st, $real) = guard($fh, canonical($root), 'dir');
    return reply($id, 'ok', entry_fields($real eq '/' ? '/' : (parent_and_name($real))[1], $st, ''));
  }
  my ($dir, $at, $full) = open_parent($root, $path);
  my @st = lstat_of($at);
  fail("lstat $full") unless @st;
  my $target = S_ISLNK($st[2]) ? readlink($at) : '';
  reply($id, 'ok', entry_fields((parent_and_name($full))[1], \@st, $target));
}

# stat(2) following links, only to tell what a link inside a root points to (its type).
sub v_stat {
  my ($id, $root, $path) = @_;
  $root = canonical($root);
  require Cwd;
  my $real = Cwd::abs_path(canonical($path));
  fail("stat $path") unless defined $real;
  refuse('outside-root', "$path leads outside the root $root") unless inside($root, $real);
  refuse('secret', "$real is never served") if denied_path($real);
  my @st = stat_of($real);
  fail("stat $real") unless @st;
  reply($id, 'ok', entry_fields((parent_and_name($path))[1], \@st, ''));
}

sub v_list {
  my ($id, $root, $path) = @_;
  my $fh = open_beneath($root, $path, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  guard($fh, canonical($root), 'dir');
  my $at = '/proc/self/fd/' . fileno($fh);
  opendir(my $dh, $at) or fail("list $path");
  my @fields;
  my $count = 0;
  while (defined(my $name = readdir($dh))) {
    next if $name eq '.' || $name eq '..';
    refuse('too-large', "$path has more than $MAX_LIST entries") if ++$count > $MAX_LIST;
    my @st = lstat_of("$at/$name");
    next unless @st;    # removed meanwhile
    push @fields, entry_fields($name, \@st, S_ISLNK($st[2]) ? readlink("$at/$name") : '');
  }
  closedir($dh);
  reply($id, 'ok', @fields);
}

# read ROOT PATH START END: the bytes START..END (inclusive; END empty: to the end of the file).
sub v_read {
  my ($id, $root, $path, $start, $end) = @_;
  refuse('bad-request', 'start is a byte offset') unless defined($start) && $start =~ /^\d{1,15}$/;
  refuse('bad-request', 'end is a byte offset or empty') unless defined($end) && $end =~ /^\d{0,15}$/;
  my $fh = open_beneath($root, $path, O_RDONLY | O_NONBLOCK);
  my ($st) = guard($fh, canonical($root), 'file');
  reply($id, 'ok', entry_fields((parent_and_name($path))[1], $st, ''));
  sysseek($fh, $start, 0) or fail("seek $path") if $start > 0;
  my $left = $end eq '' ? -1 : $end - $start + 1;
  while ($left != 0) {
    my $want = $left < 0 || $left > $CHUNK ? $CHUNK : $left;
    my $n = sysread($fh, my $buf, $want);
    fail("read $path") unless defined $n;
    last if $n == 0;
    send_frame("$id\0data\0$buf");
    $left -= $n if $left > 0;
  }
  reply($id, 'end');
}

# write ROOT PATH MODE: a new file (never an existing one), its bytes in the frames that follow.
sub v_write {
  my ($id, $root, $path, $mode) = @_;
  refuse('bad-request', 'mode is octal permission bits') unless defined($mode) && $mode =~ /^[0-7]{1,4}$/;
  my ($dir, $at, $full) = open_parent($root, $path);
  sysopen(my $fh, $at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, oct($mode) & 0777) or fail("create $full");
  reply($id, 'ok');
  my $ok = eval {
    while (1) {
      my ($fid, $kind, $bytes) = split(/\0/, read_frame(), 3);
      next unless defined($fid) && $fid eq $id;
      if ($kind eq 'data') {
        my $off = 0;
        while ($off < length($bytes)) {
          my $n = syswrite($fh, $bytes, length($bytes) - $off, $off);
          fail("write $full") unless defined $n;
          $off += $n;
        }
      } elsif ($kind eq 'end') {
        $fh->sync or fail("fsync $full");
        close($fh) or fail("close $full");
        last;
      } else {
        fail_with('ECANCELED', "the upload of $full was abandoned");
      }
    }
    1;
  };
  unless ($ok) {
    my $error = $@;
    close($fh);
    unlink($at);
    die $error;
  }
  my @st = lstat_of($at);
  fail("lstat $full") unless @st;
  reply($id, 'ok', entry_fields((parent_and_name($full))[1], \@st, ''));
}

# mkdir ROOT PATH MODE PARENTS(0|1)
sub v_mkdir {
  my ($id, $root, $path, $mode, $parents) = @_;
  refuse('bad-request', 'mode is octal permission bits') unless defined($mode) && $mode =~ /^[0-7]{1,4}$/;
  $root = canonical($root);
  $path = canonical($path);
  my @todo = ($path);
  if ($parents) {
    # From the deepest directory that exists downwards, each one made in its opened parent.
    @todo = ();
    my $p = $path;
    while ($p ne $root && inside($root, $p) && !lstat($p)) {
      unshift @todo, $p;
      ($p) = parent_and_name($p);
    }
  }
  for my $dir (@todo) {
    my ($parent, $at, $full) = open_parent($root, $dir);
    mkdir($at, oct($mode) & 07777) or fail("mkdir $full");
  }
  reply($id, 'ok');
}

# rename ROOT FROM ROOT2 TO: rename(2) of the entry itself (a link moves as a link); EXDEV across
# file systems is the caller's to handle.
sub v_rename {
  my ($id, $root, $from, $root2, $to) = @_;
  my ($d1, $at1, $full1) = open_parent($root, $from);
  my ($d2, $at2, $full2) = open_parent($root2, $to);
  refuse('secret', "$full1 holds what the exporter keeps secret") if holds_denied($full1);
  refuse('secret', "$full2 holds what the exporter keeps secret") if holds_denied($full2);
  rename($at1, $at2) or fail("rename $full1 to $full2");
  reply($id, 'ok');
}

sub remove_tree {
  my ($at, $full) = @_;
  my @st = lstat($at);
  fail("lstat $full") unless @st;
  unless (S_ISDIR($st[2])) {
    unlink($at) or fail("unlink $full");
    return;
  }
  sysopen(my $dir, $at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) or fail("open $full");
  my $here = '/proc/self/fd/' . fileno($dir);
  opendir(my $dh, $here) or fail("list $full");
  my @names = grep { $_ ne '.' && $_ ne '..' } readdir($dh);
  closedir($dh);
  remove_tree("$here/$_", "$full/$_") for @names;
  close($dir);
  rmdir($at) or fail("rmdir $full");
}

# remove ROOT PATH RECURSIVE(0|1): the entry itself (a link, not its target).
sub v_remove {
  my ($id, $root, $path, $recursive) = @_;
  my ($dir, $at, $full) = open_parent($root, $path);
  refuse('secret', "$full holds what the exporter keeps secret") if holds_denied($full);
  my @st = lstat($at);
  fail("lstat $full") unless @st;
  if (S_ISDIR($st[2])) {
    if ($recursive) { remove_tree($at, $full) }
    else { rmdir($at) or fail("rmdir $full") }
  } else {
    unlink($at) or fail("unlink $full");
  }
  reply($id, 'ok');
}

# Copies an opened regular file to the new file $dst, keeping its mode and times.
sub copy_from_handle {
  my ($in, $srcfull, $dst, $dstfull) = @_;
  my @st = stat($in);
  refuse('secret', "$srcfull is never served") if denied_inodes()->{"$st[0]:$st[1]"};
  refuse('not-regular', "$srcfull is not a regular file") unless S_ISREG($st[2]);
  sysopen(my $out, $dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600) or fail("create $dstfull");
  while (1) {
    my $n = sysread($in, my $buf, $CHUNK);
    fail("read $srcfull") unless defined $n;
    last if $n == 0;
    my $off = 0;
    while ($off < $n) {
      my $w = syswrite($out, $buf, $n - $off, $off);
      fail("write $dstfull") unless defined $w;
      $off += $w;
    }
  }
  $out->sync or fail("fsync $dstfull");
  close($out);
  chmod($st[2] & 0777, $dst);
  utime($st[8], $st[9], $dst);
}

# Copies the entries of an opened directory into the new directory $dst.
sub copy_dir {
  my ($dir, $srcfull, $dst, $dstfull) = @_;
  my @st = stat($dir);
  refuse('pseudo-fs', "$srcfull is on a pseudo file system") if $PSEUDO{ fd_fstype($dir) };
  mkdir($dst, 0700) or fail("mkdir $dstfull");
  sysopen(my $out, $dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) or fail("open $dstfull");
  my $here = '/proc/self/fd/' . fileno($dir);
  my $there = '/proc/self/fd/' . fileno($out);
  opendir(my $dh, $here) or fail("list $srcfull");
  my @names = grep { $_ ne '.' && $_ ne '..' } readdir($dh);
  closedir($dh);
  copy_entry("$here/$_", "$srcfull/$_", "$there/$_", "$dstfull/$_") for @names;
  chmod($st[2] & 07777, $there);
  utime($st[8], $st[9], $there);
}

# One entry inside a copied directory: a link is copied as a link, never followed.
sub copy_entry {
  my ($src, $srcfull, $dst, $dstfull) = @_;
  refuse('secret', "$srcfull is never served") if denied_path($srcfull);
  my @st = lstat($src);
  fail("lstat $srcfull") unless @st;
  if (S_ISLNK($st[2])) {
    my $target = readlink($src);
    fail("readlink $srcfull") unless defined $target;
    symlink($target, $dst) or fail("symlink $dstfull");
  } elsif (S_ISREG($st[2])) {
    sysopen(my $in, $src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) or fail("open $srcfull");
    copy_from_handle($in, $srcfull, $dst, $dstfull);
  } elsif (S_ISDIR($st[2])) {
    sysopen(my $dir, $src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) or fail("open $srcfull");
    copy_dir($dir, $srcfull, $dst, $dstfull);
  } else {
    refuse('not-regular', "$srcfull is not a regular file, directory or link");
  }
}

# copy ROOT FROM ROOT2 TO RECURSIVE(0|1): what FROM shows (a link inside its root followed) to the
# new name TO, keeping modes and times; links inside a copied tree are copied as links.
sub v_copy {
  my ($id, $root, $from, $root2, $to, $recursive) = @_;
  $root = canonical($root);
  my $src = open_beneath($root, $from, O_RDONLY | O_NONBLOCK);
  my ($st, $real) = guard($src, $root, '');
  my ($d2, $at2, $full2) = open_parent($root2, $to);
  fail_with('EEXIST', "$full2 exists") if lstat($at2);
  if (S_ISREG($st->[2])) { copy_from_handle($src, $real, $at2, $full2) }
  elsif (S_ISDIR($st->[2])) {
    fail_with('EISDIR', "$real is a directory (copy it recursively)") unless $recursive;
    refuse('secret', "$real holds what the exporter keeps secret") if holds_denied($real);
    copy_dir($src, $real, $at2, $full2);
  } else {
    refuse('not-regular', "$real is not a regular file or directory");
  }
  reply($id, 'ok');
}

# --- host reads ----------------------------------------------------------------------------
# What collectors and managers read of a host, as the login user: the host's own files, /proc
# and /sys included (no roots here: the exporter reads the whole host, as node_exporter does,
# and the operating system's permissions apply). Each verb takes many paths and answers them all
# in one frame, so a scrape's reads cost one round trip. Its items are binary-safe:
#   item   STATUS \0 LENGTH \0 BYTES        STATUS "ok" or the errno name (then LENGTH is 0)
# Nothing here writes, and `run` executes only the argument vector it is given (no shell).
#
# These verbs act with the agent's own rights, which is right for an agent a user started for
# itself (the SSH login user's, asked for with --serve host-reads), and never for one started
# through sudo: its rights are borrowed for the typed verbs only, and a flag anyone may put on
# sudo's command line must not turn reads as root, or `run` as root, on.
my $HOST_READS = $SERVE{'host-reads'} && !defined $ENV{SUDO_UID};

sub item_ok { my ($bytes) = @_; return "ok\0" . length($bytes) . "\0" . $bytes }
sub item_err { return errno_name() . "\0" . "0\0" }

sub reply_items { my ($id, @items) = @_; send_frame(join('', "$id\0ok\0", @items)) }

# Opened without blocking and refused unless regular (ENODEV is what the kernel gives for a
# file it cannot read in this way): a FIFO or a device named by a collector must not hang us.
sub open_regular {
  my ($path) = @_;
  sysopen(my $fh, $path, O_RDONLY | O_NONBLOCK | O_NOCTTY) or return undef;
  my @st = stat($fh);
  unless (@st && S_ISREG($st[2])) { $! = @st && S_ISDIR($st[2]) ? Errno::EISDIR : Errno::ENODEV; return undef }
  return $fh;
}

# read-many PATH…: whole files (procfs and sysfs files are small; each read is at most 64 KiB).
# A file larger than MAX_READ is that path's EFBIG, not the whole answer's.
my $MAX_READ = 16 << 20;
sub v_read_many {
  my ($id, @paths) = @_;
  my @items;
  for my $path (@paths) {
    my $fh = open_regular($path);
    unless ($fh) { push @items, item_err(); next }
    my ($buf, $n) = ('', 0);
    while (($n = sysread($fh, $buf, $CHUNK, length $buf))) { last if length($buf) > $MAX_READ }
    if (defined($n) && length($buf) > $MAX_READ) { $! = Errno::EFBIG; $n = undef }
    push @items, defined($n) ? item_ok($buf) : item_err();
  }
  reply_items($id, @items);
}

# heads MAX PATH…: one read(2) of at most MAX bytes each, for files the kernel generates in
# one piece (/proc/PID/stat, cmdline): the read that would only confirm the end is saved.
sub v_heads {
  my ($id, $max, @paths) = @_;
  refuse('bad-request', 'heads wants a byte count') unless defined($max) && $max =~ /^\d{1,8}$/;
  my @items;
  for my $path (@paths) {
    my $fh = open_regular($path);
    my $n = $fh ? sysread($fh, my $buf, $max) : undef;
    push @items, defined($n) ? item_ok($buf) : item_err();
  }
  reply_items($id, @items);
}

# stat-many PATH…: stat(2), links followed: "TYPE SIZE MODE UID GID MTIME_MS".
sub v_stat_many {
  my ($id, @paths) = @_;
  reply_items($id, map {
    my @st = stat_of($_);
    @st ? item_ok(join(' ', type_letter($st[2]), $st[7], $st[2] & 07777, $st[4], $st[5], int($st[9] * 1000)))
      : item_err();
  } @paths);
}

# list-many DIR…: each directory's entries as "TYPE NAME\0" (lstat: a link is a link).
sub v_list_many {
  my ($id, @paths) = @_;
  my @items;
  for my $path (@paths) {
    unless (opendir(my $dh, $path)) { push @items, item_err() }
    else {
      my ($body, $count) = ('', 0);
      while (defined(my $name = readdir($dh))) {
        next if $name eq '.' || $name eq '..';
        last if ++$count > $MAX_LIST;
        my @st = lstat("$path/$name");
        $body .= type_letter($st[2]) . "$name\0" if @st;    # gone meanwhile: not listed
      }
      closedir($dh);
      # More entries than a listing may hold: that directory's EFBIG, never a silent cut.
      if ($count > $MAX_LIST) { $! = Errno::EFBIG; push @items, item_err() }
      else { push @items, item_ok($body) }
    }
  }
  reply_items($id, @items);
}

sub v_readlink_many {
  my ($id, @paths) = @_;
  reply_items($id, map { my $t = readlink($_); defined($t) ? item_ok($t) : item_err() } @paths);
}

# statfs(2) has no perl binding; its number, like adjtimex's, is the architecture's. The struct
# is made of longs on the architectures listed (fsid is two ints, the size of one long on 64-bit
# and of two on 32-bit: the unpack skips it either way).
my %STATFS_NR = (x86_64 => 137, aarch64 => 43, riscv64 => 43, loongarch64 => 43, i386 => 99, i486 => 99,
  i586 => 99, i686 => 99, arm => 99, armel => 99, armhf => 99, powerpc => 99, powerpc64 => 99,
  powerpc64le => 99, ppc64le => 99);

sub arch { require Config; no warnings 'once'; my ($a) = $Config::Config{archname} =~ /^([^-]+)/; return $a // '' }

# statfs-many PATH…: "BSIZE BLOCKS BFREE BAVAIL FILES FFREE" (blocks of BSIZE bytes).
sub v_statfs_many {
  my ($id, @paths) = @_;
  my $nr = $STATFS_NR{ arch() };
  reply_items($id, map {
    my $buf = "\0" x 256;
    if (!defined $nr) { $! = Errno::ENOSYS; item_err() }
    elsif (syscall($nr, $_, $buf) < 0) { item_err() }
    else { my (undef, @f) = unpack('L! L! L! L! L! L! L!', $buf); item_ok(join(' ', @f)) }
  } @paths);
}

# adjtimex(2) read-only (modes = 0): the kernel's clock discipline, which no file publishes.
# Answers "ok STATE FIELDS…" (parsers/adjtimex.ts) or "error ERRNO".
my $adjtimex_nr;
sub adjtimex_line {
  unless (defined $adjtimex_nr) {
    my %nr = (x86_64 => 159, aarch64 => 171, riscv64 => 171, loongarch64 => 171, i386 => 124, i486 => 124,
      i586 => 124, i686 => 124, arm => 124, armel => 124, armhf => 124, powerpc => 124, powerpc64 => 124,
      powerpc64le => 124, ppc64le => 124, s390x => 124, mips => 4124, mipsel => 4124, mips64 => 5154,
      mips64el => 5154);
    $adjtimex_nr = $nr{ arch() } // -1;
  }
  return 'error ENOSYS' if $adjtimex_nr < 0;
  # struct timex: longs are the perl's own (l!); int fields are padded to the next long (x![l!]).
  my $buf = "\0" x 512;
  my $state = syscall($adjtimex_nr, $buf);
  return 'error ' . errno_name() if $state < 0;
  return join(' ', 'ok', $state,
    unpack('I x![l!] l! l! l! l! i x![l!] l! l! l! l! l! l! l! l! i x![l!] l! l! l! l! l! i', $buf));
}

sub v_adjtimex { my ($id) = @_; reply($id, 'ok', adjtimex_line()) }

# now: the host's clock, seconds since the epoch. adjtimex carries it to the microsecond (or
# nanosecond, STA_NANO); without adjtimex (a seccomp filter), whole seconds.
sub v_now {
  my ($id) = @_;
  my @f = split / /, adjtimex_line();
  return reply($id, 'ok', time()) unless $f[0] eq 'ok';
  my $fraction = $f[7] & 0x2000 ? $f[12] / 1e9 : $f[12] / 1e6;
  reply($id, 'ok', sprintf('%d.%09d', $f[11], $fraction * 1e9));
}

# run TIMEOUT_MS MAX_OUTPUT CWD HAS_INPUT INPUT ENV_COUNT ENV… ARGV…: the program (PATH
# searched, no shell) as this agent's user, in a process group of its own so a kill reaches what
# it started. Each of stdout and stderr keeps its last MAX_OUTPUT bytes. Answers
#   ok \0 OUTCOME \0 CODE \0 SIGNAL \0 TIMED_OUT \0 TRUNCATED \0 STDOUT_LENGTH \0 STDOUT STDERR
# OUTCOME "exit", or "chdir"/"exec" with CODE the errno name of the step that failed.
sub v_run {
  my ($id, $timeout, $max, $cwd, $has_input, $input, $nenv, @rest) = @_;
  refuse('bad-request', 'run: malformed request')
    unless defined($nenv) && $timeout =~ /^\d{1,12}$/ && $max =~ /^\d{1,10}$/ && $nenv =~ /^\d{1,4}$/;
  my @env = splice(@rest, 0, $nenv);
  refuse('bad-request', 'run: an empty argument vector') unless @rest;
  pipe(my $out_r, my $out_w) && pipe(my $err_r, my $err_w) && pipe(my $st_r, my $st_w) && pipe(my $in_r, my $in_w)
    or fail('pipe');
  my $pid = fork();
  fail('fork') unless defined $pid;
  if ($pid == 0) {
    # Pipes made here are close-on-exec: $st_w tells the parent why exec failed, or closes.
    setpgrp(0, 0);
    $SIG{PIPE} = 'DEFAULT';    # an ignored signal would stay ignored in the program
    open(STDIN, '<&', $in_r) && open(STDOUT, '>&', $out_w) && open(STDERR, '>&', $err_w) or POSIX::_exit(127);
    if ($cwd ne '' && !chdir($cwd)) { syswrite($st_w, 'chdir ' . errno_name()); POSIX::_exit(127) }
    for (@env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v }
    { no warnings 'exec'; exec { $rest[0] } @rest; }
    syswrite($st_w, 'exec ' . errno_name());
    POSIX::_exit(127);
  }
  close($_) for ($out_w, $err_w, $st_w, $in_r);
  my $why = '';
  sysread($st_r, $why, 256);
  if ($why ne '') {
    waitpid($pid, 0);
    my ($step, $code) = split / /, $why;
    return send_frame(join("\0", $id, 'ok', $step, $code, '', 0, 0, 0) . "\0");
  }
  $input = $has_input ? $input : '';
  close($in_w) if $input eq '';
  my %buf = (fileno($out_r) => '', fileno($err_r) => '');
  my %open = (fileno($out_r) => $out_r, fileno($err_r) => $err_r);
  my ($truncated, $timed_out) = (0, 0);
  my $clock = sub { $hires ? Time::HiRes::time() : time() };
  my $deadline = $timeout > 0 ? $clock->() + $timeout / 1000 : undef;
  $in_w->blocking(0);    # a program that does not read its input must not stop us reading its output
  my $give_up;    # after a kill: how long to wait for pipes a program that left the group holds
  while (%open) {
    my ($rin, $win) = ('', '');
    vec($rin, $_, 1) = 1 for keys %open;
    vec($rin, fileno(STDIN), 1) = 1;    # the exporter going away ends the program too
    vec($win, fileno($in_w), 1) = 1 if $input ne '';
    my $wait = $give_up // $deadline;
    my $left = defined($wait) ? $wait - $clock->() : undef;
    $left = 0 if defined($left) && $left < 0;
    my $n = select(my $r = $rin, my $w = $win, undef, $left);
    if ($n < 0) { next if $!{EINTR}; fail('select') }
    if ($n > 0 && vec($r, fileno(STDIN), 1)) { kill('KILL', -$pid); exit 0 }
    if ($n > 0 && $input ne '' && vec($w, fileno($in_w), 1)) {
      my $wrote = syswrite($in_w, $input, $CHUNK);
      # EAGAIN: the pipe filled after all; EPIPE: the program closed its input.
      $input = defined($wrote) ? substr($input, $wrote) : $!{EAGAIN} ? $input : '';
      close($in_w) if $input eq '';
    }
    for my $fd (keys %open) {
      next unless $n > 0 && vec($r, $fd, 1);
      my $got = sysread($open{$fd}, $buf{$fd}, $CHUNK, length $buf{$fd});
      delete $open{$fd} unless $got;
      # Only the tail is kept; cut in steps so a chatty program costs no quadratic copying.
      if (length($buf{$fd}) > 2 * $max + $CHUNK) { substr($buf{$fd}, 0, length($buf{$fd}) - $max) = ''; $truncated = 1 }
    }
    next if $n > 0;
    last if defined $give_up;
    kill('KILL', -$pid);
    ($timed_out, $give_up) = (1, $clock->() + 2);
  }
  waitpid($pid, 0);
  my $status = $?;
  my @out = map {
    my $b = $buf{ fileno($_) };
    if (length($b) > $max) { $truncated = 1; $b = substr($b, length($b) - $max) }
    $b;
  } ($out_r, $err_r);
  my $signal = '';
  if ($status & 127) { require Config; no warnings 'once'; $signal = 'SIG' . (split ' ', $Config::Config{sig_name})[$status & 127] }
  send_frame(join("\0", $id, 'ok', 'exit', $signal eq '' ? $status >> 8 : '', $signal, $timed_out, $truncated,
    length($out[0])) . "\0" . $out[0] . $out[1]);
}

# digest: a 32-bit FNV-1a of this program's own file, so the exporter can tell an installed
# agent (sudo's, below /usr/lib/hyperion) from another version; empty when run from `perl -e`.
my $digest;
sub v_digest {
  my ($id) = @_;
  unless (defined $digest) {
    $digest = '';
    if ($0 ne '-e' && open(my $self, '<:raw', $0)) {
      local $/;
      my $h = 0x811c9dc5;
      # h * 0x01000193 mod 2^32, in parts that stay exact even in a perl without 64-bit integers.
      $h = ((($h ^ $_) * 0x193) + ((($h ^ $_) << 24) & 0xffffffff)) & 0xffffffff for unpack('C*', <$self>);
      $digest = sprintf('%08x', $h);
    }
  }
  reply($id, 'ok', $digest);
}

my %HOST_READ_VERBS = (
  digest => \&v_digest,
  $HOST_READS ? (
  'read-many' => \&v_read_many,
  heads => \&v_heads,
  'stat-many' => \&v_stat_many,
  'list-many' => \&v_list_many,
  'readlink-many' => \&v_readlink_many,
  'statfs-many' => \&v_statfs_many,
  now => \&v_now,
  run => \&v_run,
  ) : (),
);

my %VERBS = (
  %HOST_READ_VERBS,
  # Read-only and without arguments: the kernel's clock state, the same for any caller, so any
  # agent answers it (the local exporter's timex collector asks its own agents).
  adjtimex => \&v_adjtimex,
  hello => \&v_hello,
  realpath => \&v_realpath,
  lstat => \&v_lstat,
  stat => \&v_stat,
  list => \&v_list,
  read => \&v_read,
  write => \&v_write,
  mkdir => \&v_mkdir,
  rename => \&v_rename,
  remove => \&v_remove,
  copy => \&v_copy,
);

# --- files as a user -----------------------------------------------------------------------
#
# A root agent serves every file root, but each root says which user the work is done as: the
# file verbs run with that user's uid, gid and groups as the effective identity, so the kernel's
# own permission checks apply (/etc/shadow stays unreadable to a root acting as "hyperion").
# Only the effective ids change, so they can be given back after the request; a failure to give
# them back ends the agent rather than let it go on with the wrong identity.

# A user's uid, gid, groups (primary first), home and shell, from the system's user database;
# kept a minute, since every file request of a root names its user and the group database may be
# a directory server's.
my %USERS;

sub user_named {
  my ($name) = @_;
  refuse('bad-request', 'a user name is letters, digits, "._-" (at most 32)')
    unless defined($name) && $name =~ /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
  my $known = $USERS{$name};
  return $known->{user} if $known && time() - $known->{at} < 60;
  my ($n, undef, $uid, $gid, undef, undef, undef, $home, $shell) = getpwnam($name);
  refuse('no-such-user', "there is no user $name on this host") unless defined $n;
  my @groups = ($gid);
  setgrent();
  while (my ($gname, undef, $ggid, $members) = getgrent()) {
    push @groups, $ggid if $ggid != $gid && grep { $_ eq $name } split / /, $members;
  }
  endgrent();
  my $user = { name => $name, uid => $uid, gid => $gid, groups => \@groups, home => $home, shell => $shell };
  $USERS{$name} = { user => $user, at => time() };
  return $user;
}

# as USER VERB ARGS…: one file verb done as USER.
my %AS_USER_VERBS = map { $_ => 1 } qw(realpath lstat stat list read write mkdir rename remove copy);

sub v_as {
  my ($id, $name, $verb, @args) = @_;
  refuse('unknown-verb', 'only file verbs are done as a user')
    unless defined($verb) && $AS_USER_VERBS{$verb};
  my $user = user_named($name);
  return $VERBS{$verb}->($id, @args) if $user->{uid} == $> && $user->{gid} == $) + 0;
  my ($saved_gid, $saved_uid) = ($), $>);
  # Groups first: once the effective uid is not root, they can no longer be set.
  $) = join(' ', $user->{gid}, @{ $user->{groups} });
  $> = $user->{uid};
  fail("act as $name") unless $> == $user->{uid} && ($) + 0) == $user->{gid};
  my $ok = eval { $VERBS{$verb}->($id, @args); 1 };
  my $error = $@;
  $> = $saved_uid;
  $) = $saved_gid;
  die "could not return from acting as $name\n" unless $> == $saved_uid;
  die $error unless $ok;
}

# secrets deny|allow PATH …: what this connection must never serve, for an agent that was not
# started with --deny and --allow (the shared one behind a socket). Once, before any file verb:
# a connection cannot widen it afterwards.
my $secrets_set = 0;

sub v_secrets {
  my ($id, @pairs) = @_;
  refuse('bad-request', 'the secrets are set once, first') if $secrets_set++;
  refuse('bad-request', 'secrets come in pairs: deny|allow PATH') if @pairs % 2;
  while (my ($kind, $path) = splice(@pairs, 0, 2)) {
    if ($kind eq 'deny') { push @DENY, resolved($path) }
    elsif ($kind eq 'allow') { push @ALLOW, resolved($path) }
    else { refuse('bad-request', "secrets: $kind is neither deny nor allow") }
  }
  $denied_at = -1;
  reply($id, 'ok');
}

# --- privileged verbs ----------------------------------------------------------------------
#
# What the exporter cannot do as its own unprivileged user, as typed requests: every argument is
# checked here against the same rules the exporter applies (a request the exporter wrongly let
# through is still refused), programs get argument vectors and a fixed environment, never a
# shell — but for a job's own script, which is the job. Answers are exit status and output (or
# an errno name), never text to be parsed for a reason.

my %SIGNALS = map { $_ => 1 } qw(TERM KILL HUP INT QUIT STOP CONT USR1 USR2);
# The exporter's rule for service names (managers/services/names.ts): never an option, a path
# or "..".
my $UNIT_NAME = qr/^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9:_.@-]{0,254}\z/;
my %SYSTEMCTL_VERBS = map { $_ => 1 } qw(start stop restart reload enable disable);
my %SYSV_VERBS = map { $_ => 1 } qw(start stop restart reload status);
my %RC_ACTIONS = map { $_ => 1 } qw(defaults enable disable);
my %NFT_FAMILIES = map { $_ => 1 } qw(ip ip6 inet arp bridge netdev);
my $MAX_OUTPUT = 16 << 20;
my $MAX_TIMEOUT = 7 * 86400;
# Plain, uncoloured, unpaged, English output in UTC, whatever the host's settings.
my %PROGRAM_ENV = (PATH => '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL => 'C', TZ => 'UTC', SYSTEMD_COLORS => '0', SYSTEMD_PAGER => '', SYSTEMD_URLIFY => '0');

sub number_in {
  my ($what, $value, $min, $max) = @_;
  refuse('bad-request', "$what is a number from $min to $max")
    unless defined($value) && $value =~ /^-?\d{1,10}\z/ && $value >= $min && $value <= $max;
  return $value + 0;
}

sub unit_name {
  my ($name) = @_;
  refuse('bad-unit', 'a unit name starts with a letter, digit or "_" and holds only letters, '
    . 'digits and ":_.@-" (no "/", spaces or "..")') unless defined($name) && $name =~ $UNIT_NAME;
  return $name;
}

# The process at the other end of the socket (the exporter), when the agent serves one.
my $PEER_PID = 0;

# signal PID NAME: kill(2); PID 1, the agent and the exporter it serves are never signalled.
sub v_signal {
  my ($id, $pid, $name) = @_;
  $pid = number_in('pid', $pid, 1, 4194304);
  refuse('bad-request', "SIG$name is not a signal the agent sends") unless defined($name) && $SIGNALS{$name};
  refuse('protected', 'PID 1, the agent and the exporter are never signalled')
    if $pid == 1 || $pid == $$ || $pid == getppid() || $pid == $PEER_PID;
  kill($name, $pid) or fail("kill -$name $pid");
  reply($id, 'ok');
}

# renice NICE ID…: setpriority(2) of each thread id; answers the ids that failed, with errno.
sub v_renice {
  my ($id, $nice, @ids) = @_;
  $nice = number_in('nice', $nice, -20, 19);
  refuse('bad-request', 'renice names 1 to 100000 thread ids') unless @ids && @ids <= 100_000;
  my @failed;
  for my $tid (@ids) {
    $tid = number_in('a thread id', $tid, 2, 4194304);
    push @failed, $tid, errno_name() unless setpriority(0, $tid, $nice);
  }
  reply($id, 'ok', @failed);
}

# systemctl VERB UNIT
sub v_systemctl {
  my ($id, $verb, $unit) = @_;
  refuse('bad-request', "systemctl $verb is not a verb the agent runs") unless defined($verb) && $SYSTEMCTL_VERBS{$verb};
  run_reply($id, argv => ['systemctl', $verb, '--no-ask-password', '--', unit_name($unit)], timeout => 300);
}

# systemctl-query COMMAND ARG…: systemd's listings and unit properties. Any user may ask them,
# but an unprivileged systemctl needs the D-Bus system bus, which minimal hosts do without; root's
# talks to systemd directly. Only fixed options, unit names after "--", and named properties —
# never those that carry a unit's environment, credentials or command lines.
my %QUERY_COMMANDS = map { $_ => 1 } qw(list-units list-unit-files list-timers show);
my %QUERY_FLAGS = map { $_ => 1 } qw(--all --type=service --output=json --plain --no-legend --no-pager);
my $SECRET_PROPERTY =
  qr/^(?:(?:Pass|Unset)?Environment(?:Files)?|(?:Set|Load|Import)Credential\w*|Exec(?:Start|Stop|Reload|Condition)(?:Pre|Post)?(?:Ex)?)\z/;

sub v_systemctl_query {
  my ($id, $command, @args) = @_;
  refuse('bad-request', 'systemctl-query: list-units, list-unit-files, list-timers or show')
    unless defined($command) && $QUERY_COMMANDS{$command};
  my ($units, $named) = (0, 0);
  for my $arg (@args) {
    if ($units) { unit_name($arg) }
    elsif ($arg eq '--') { $units = 1 }
    elsif ($arg =~ /^--property=([A-Za-z,]+)\z/) {
      my @secret = grep { $_ =~ $SECRET_PROPERTY } split /,/, $1;
      refuse('secret', "the agent never reads @secret: they hold a unit's secrets") if @secret;
      $named = 1;
    } elsif (!$QUERY_FLAGS{$arg}) {
      refuse('bad-request', "systemctl $command: $arg is not an option the agent passes");
    }
  }
  refuse('bad-request', 'systemctl show names the properties it reads') if $command eq 'show' && !$named;
  run_reply($id, argv => ['systemctl', $command, @args], timeout => 60);
}

# journal UNIT LINES: the unit's last lines, as journalctl's JSON.
sub v_journal {
  my ($id, $unit, $lines) = @_;
  $unit = unit_name($unit);
  $lines = number_in('lines', $lines, 0, 100_000);
  run_reply($id, argv => ['journalctl', "--unit=$unit", "--lines=$lines", '--output=json', '--no-pager',
    '--quiet'], timeout => 60);
}

# log-tail PATH LINES: the last lines of a log file below /var/log (a SysV service's own log),
# read as root: many logs are root's or group adm's alone. Opened beneath /var/log without
# following its last link and checked on the descriptor (guard: inside, regular, not a secret),
# so a user who may write in /var/log (group syslog on some systems) cannot point it at
# /etc/shadow. At most the last MAX_TAIL bytes are read. Answers ok TRUNCATED TEXT: TRUNCATED 1
# when the lines asked for reach further back than those bytes.
my $LOG_DIR = '/var/log';
my $MAX_TAIL = 4 << 20;
sub v_log_tail {
  my ($id, $path, $lines) = @_;
  refuse('bad-request', 'a log file is an absolute path') unless defined($path) && $path =~ m{^/};
  $lines = number_in('lines', $lines, 0, 100_000);
  my $fh = open_beneath($LOG_DIR, $path, O_RDONLY | O_NONBLOCK);
  my ($st) = guard($fh, $LOG_DIR, 'file');
  my $from = $st->[7] > $MAX_TAIL ? $st->[7] - $MAX_TAIL : 0;
  sysseek($fh, $from, 0) or fail("seek $path") if $from > 0;
  # The file may grow meanwhile: never more than MAX_TAIL bytes.
  my $text = '';
  while (length($text) < $MAX_TAIL) {
    my $want = $MAX_TAIL - length($text);
    my $n = sysread($fh, $text, $want < $CHUNK ? $want : $CHUNK, length($text));
    fail("read $path") unless defined $n;
    last if $n == 0;
  }
  $text =~ s/\n\z//;
  my @all = $text eq '' ? () : split(/\n/, $text, -1);
  shift @all if $from > 0;    # the first line read is a part of one
  my $truncated = $from > 0 && @all < $lines ? 1 : 0;
  my @last = $lines == 0 ? () : @all > $lines ? @all[-$lines .. -1] : @all;
  reply($id, 'ok', $truncated, join("\n", @last));
}

# service NAME VERB: a SysV script through service(8), or the script itself where service is not
# installed (what service would run). A status runs the script itself, as service would, without
# service's own start-up (a listing asks one per script); as root, because scripts test their
# daemon with kill -0, which fails for another user's process.
sub v_service {
  my ($id, $name, $verb) = @_;
  $name = unit_name($name);
  refuse('bad-request', "service $verb is not a verb the agent runs") unless defined($verb) && $SYSV_VERBS{$verb};
  my $service = $verb ne 'status' && grep { -x "$_/service" } split /:/, $PROGRAM_ENV{PATH};
  run_reply($id, argv => [$service ? 'service' : "/etc/init.d/$name", $service ? ($name, $verb) : $verb],
    timeout => 300);
}

# update-rc.d NAME ACTION
sub v_update_rc {
  my ($id, $name, $action) = @_;
  $name = unit_name($name);
  refuse('bad-request', "update-rc.d $action is not an action the agent runs")
    unless defined($action) && $RC_ACTIONS{$action};
  run_reply($id, argv => ['update-rc.d', $name, $action], timeout => 120);
}

# nft-list FAMILY TABLE: one table, as libnftables JSON.
sub v_nft_list {
  my ($id, $family, $table) = @_;
  refuse('bad-request', 'an nftables family: ip ip6 inet arp bridge netdev') unless defined($family) && $NFT_FAMILIES{$family};
  refuse('bad-request', 'a table name is letters, digits and "_"') unless defined($table) && $table =~ /^\w{1,64}\z/a;
  run_reply($id, argv => ['nft', '-j', 'list', 'table', $family, $table], timeout => 30);
}

# nft-apply JSON: one libnftables JSON transaction on nft's stdin, applied atomically.
sub v_nft_apply {
  my ($id, $ruleset) = @_;
  refuse('bad-request', 'the ruleset is a libnftables JSON object') unless defined($ruleset) && $ruleset =~ /^\s*\{/;
  run_reply($id, argv => ['nft', '-j', '-f', '-'], input => $ruleset, timeout => 30);
}

# job USER CWD TIMEOUT MAX_BYTES N NAME VALUE (N pairs) ARGV…: a job's run as its user (empty:
# as the agent itself), with the user's login environment and the job's variables. The job's argv
# may be /bin/sh -c SCRIPT: the one request that carries a shell script, which the exporter
# accepts from admins only.
sub v_job {
  my ($id, $name, $cwd, $timeout, $max, $count, @rest) = @_;
  my $user = user_named(defined($name) && $name ne '' ? $name : scalar(getpwuid($>)));
  refuse('bad-request', 'the working directory is absolute or empty') unless defined($cwd) && ($cwd eq '' || $cwd =~ m{^/});
  $timeout = number_in('timeout', $timeout, 1, $MAX_TIMEOUT);
  $max = number_in('max bytes', $max, 1, $MAX_OUTPUT);
  $count = number_in('variables', $count, 0, 256);
  my %env = (PATH => $PROGRAM_ENV{PATH}, HOME => $user->{home}, USER => $user->{name},
    LOGNAME => $user->{name}, SHELL => $user->{shell});
  # On a host reached over SSH a job sees the session it came by, as a login would.
  $env{SSH_CONNECTION} = $ENV{SSH_CONNECTION} if defined $ENV{SSH_CONNECTION};
  for (1 .. $count) {
    my ($key, $value) = splice(@rest, 0, 2);
    refuse('bad-request', 'a variable name is letters, digits and "_"') unless defined($key) && $key =~ /^[A-Za-z_]\w{0,127}\z/a;
    refuse('bad-request', "variable $key has no value") unless defined $value;
    $env{$key} = $value;
  }
  refuse('bad-request', 'a job names its program') unless @rest && $rest[0] ne '';
  run_reply($id, argv => \@rest, env => \%env, user => $user, cwd => $cwd, timeout => $timeout,
    max => $max);
}

# process-links PID: what only root reads of another user's process: its working directory, its
# executable, and how many descriptors it holds ('' or -1 where unreadable or ended).
sub v_process_links {
  my ($id, $pid) = @_;
  $pid = number_in('pid', $pid, 1, 4194304);
  my $fds = -1;
  if (opendir(my $dh, "/proc/$pid/fd")) { $fds = grep { !/^\.\.?\z/ } readdir($dh) }
  reply($id, 'ok', readlink("/proc/$pid/cwd") // '', readlink("/proc/$pid/exe") // '', $fds);
}

# socket-inodes: PID INODE for each socket each process holds (the walk ss -p makes).
sub v_socket_inodes {
  my ($id) = @_;
  opendir(my $proc, '/proc') or fail('list /proc');
  my @fields;
  for my $pid (grep { /^\d+\z/ } readdir($proc)) {
    opendir(my $dh, "/proc/$pid/fd") or next;    # ended meanwhile
    for my $fd (readdir($dh)) {
      my $link = readlink("/proc/$pid/fd/$fd") // next;
      push @fields, $pid, $1 if $link =~ /^socket:\[(\d+)\]\z/;
    }
  }
  reply($id, 'ok', @fields);
}

# Runs a program (never through a shell) in a process group of its own, with a fixed environment,
# its stdin from $o{input} (or /dev/null), as $o{user} for good when given; kills the whole group
# at the time limit, or as soon as the exporter hangs up (the run was aborted). Answers
#   ok EXIT SIGNAL TIMED_OUT TRUNCATED STDERR STDOUT
# with the last $o{max} bytes of each output; STDOUT is the last field (it may hold NUL bytes).
sub run_reply {
  my ($id, %o) = @_;
  my $max = $o{max} // $MAX_OUTPUT;
  pipe(my $out_r, my $out_w) or fail('pipe');
  pipe(my $err_r, my $err_w) or fail('pipe');
  pipe(my $in_r, my $in_w) or fail('pipe');
  # exec's failure comes back on this pipe as an errno name; it closes on a successful exec.
  pipe(my $status_r, my $status_w) or fail('pipe');
  my $pid = fork();
  fail('fork') unless defined $pid;
  if ($pid == 0) {
    eval {
      # What the agent ignores, a program must not inherit ignored.
      $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD);
      POSIX::setpgid(0, 0);
      close($_) for ($out_r, $err_r, $in_w, $status_r);
      if (defined $o{input}) { open(STDIN, '<&', $in_r) or fail('stdin') }
      else { open(STDIN, '<', '/dev/null') or fail('stdin') }
      open(STDOUT, '>&', $out_w) or fail('stdout');
      open(STDERR, '>&', $err_w) or fail('stderr');
      if ((my $u = $o{user}) && $o{user}{uid} != $>) {
        # For good: real and saved ids too, so the job cannot take root back.
        POSIX::setgid($u->{gid}) or fail("become $u->{name}");
        $) = join(' ', $u->{gid}, @{ $u->{groups} });
        POSIX::setuid($u->{uid}) or fail("become $u->{name}");
        fail("become $u->{name}") unless $< == $u->{uid} && $> == $u->{uid} && $( + 0 == $u->{gid};
      }
      if (defined($o{cwd}) && $o{cwd} ne '' && !chdir($o{cwd})) {
        refuse('no-working-directory', "working directory $o{cwd} does not exist") if $!{ENOENT} || $!{ENOTDIR};
        fail("chdir $o{cwd}");
      }
      %ENV = %{ $o{env} // \%PROGRAM_ENV };
      exec { $o{argv}[0] } @{ $o{argv} } or fail("exec $o{argv}[0]");
    };
    my $e = $@;
    syswrite($status_w, ref($e) eq 'HASH' ? "$e->{status}\0$e->{code}\0$e->{message}" : "err\0EIO\0$e");
    POSIX::_exit(127);
  }
  close($_) for ($out_w, $err_w, $in_r, $status_w);
  my $failed = '';
  1 while sysread($status_r, $failed, 4096, length($failed));
  close($status_r);
  if ($failed ne '') {
    waitpid($pid, 0);
    my ($status, $code, $message) = split /\0/, $failed, 3;
    die { status => $status, code => $code, message => $message };
  }
  my ($stdout, $stderr, $truncated, $timed_out) = ('', '', 0, 0);
  my $input = $o{input} // '';
  close($in_w) if $input eq '';
  my $deadline = time() + $o{timeout};
  my %open = (fileno($out_r) => [$out_r, \$stdout], fileno($err_r) => [$err_r, \$stderr]);
  my $grace;
  while (%open) {
    my ($rin, $win) = ('', '');
    vec($rin, $_, 1) = 1 for keys %open;
    vec($rin, fileno(STDIN), 1) = 1 unless $grace;
    vec($win, fileno($in_w), 1) = 1 if $input ne '';
    my $left = ($grace // $deadline) - time();
    if ($left <= 0) {
      last if $grace;    # killed, yet something it started holds the pipes: stop waiting
      kill('KILL', -$pid);
      ($timed_out, $grace) = (1, time() + 2);
      next;
    }
    my $n = select(my $rout = $rin, my $wout = $win, undef, $left);
    next if $n <= 0;
    if (!$grace && vec($rout, fileno(STDIN), 1)) {
      # The exporter hung up (or spoke out of turn): the run was aborted.
      kill('KILL', -$pid);
      waitpid($pid, 0);
      exit 0;
    }
    if ($input ne '' && vec($wout, fileno($in_w), 1)) {
      my $w = syswrite($in_w, $input, $CHUNK);
      substr($input, 0, $w) = '' if defined $w;
      close($in_w) if !defined($w) || $input eq '';
      $input = '' unless defined $w;
    }
    for my $fd (keys %open) {
      next unless vec($rout, $fd, 1);
      my ($fh, $buf) = @{ $open{$fd} };
      my $got = sysread($fh, $$buf, $CHUNK, length($$buf));
      if (!$got) { delete $open{$fd}; next }
      if (length($$buf) > $max) { substr($$buf, 0, length($$buf) - $max) = ''; $truncated = 1 }
    }
  }
  kill('KILL', -$pid) if $timed_out;
  waitpid($pid, 0);
  my $status = $?;
  my @names = split ' ', $Config::Config{sig_name};
  my $signal = $status & 127 ? $names[$status & 127] : '';
  $stderr =~ tr/\0//d;
  reply($id, 'ok', $signal eq '' ? $status >> 8 : '', $signal eq '' ? '' : "SIG$signal", $timed_out,
    $truncated, $stderr, $stdout);
}

# Their own table: the file verbs above are one kind of request, these another.
my %PRIVILEGED = (
  signal => \&v_signal,
  renice => \&v_renice,
  systemctl => \&v_systemctl,
  'systemctl-query' => \&v_systemctl_query,
  journal => \&v_journal,
  'log-tail' => \&v_log_tail,
  service => \&v_service,
  'update-rc.d' => \&v_update_rc,
  'nft-list' => \&v_nft_list,
  'nft-apply' => \&v_nft_apply,
  job => \&v_job,
  'process-links' => \&v_process_links,
  'socket-inodes' => \&v_socket_inodes,
);

# --- serving -------------------------------------------------------------------------------

sub serve {
  $SIG{PIPE} = 'IGNORE';
  while (1) {
    my ($id, $verb, @args) = split(/\0/, read_frame(), -1);
    next unless defined($id) && $id =~ /^\d{1,12}$/;
    my $run = !defined($verb) ? undef : $verb eq 'as' ? \&v_as : $verb eq 'secrets' ? \&v_secrets
      : $VERBS{$verb} // $PRIVILEGED{$verb};
    unless ($run) {
      reply($id, 'refused', 'unknown-verb', 'the agent has no such verb');
      next;
    }
    my $ok = eval { $run->($id, @args); 1 };
    next if $ok;
    my $e = $@;
    if (ref($e) eq 'HASH') { reply($id, $e->{status}, $e->{code}, $e->{message}) }
    else { chomp($e); reply($id, 'err', 'EIO', "agent: $e") }
  }
}

# --- listening -----------------------------------------------------------------------------
#
# --listen PATH --peer-user NAME: a root agent for an exporter that dropped its privileges,
# where no systemd socket unit does the same. The socket is root's, mode 0660, group of the
# peer user; each connection gets a process of its own, and serves only the peer user or root
# (SO_PEERCRED: the kernel's word, not the client's). The agent ends when its stdin closes: the
# exporter that started it holds the other end.
#
# Started by systemd (Accept=yes), the connection is stdin and stdout: --peer-user alone makes
# the same check on it.

# Whether the process at the other end of a Unix socket is root or $user (and then, which it is).
sub peer_allowed {
  my ($socket, $user) = @_;
  require Socket;
  my $cred = getsockopt($socket, Socket::SOL_SOCKET(), Socket::SO_PEERCRED());
  return 0 unless defined $cred;
  my ($pid, $uid) = unpack('iI', $cred);
  $PEER_PID = $pid;
  return $uid == 0 || $uid == $user->{uid};
}

sub listen_forever {
  my ($path, $user) = @_;
  require IO::Socket::UNIX;
  require Socket;
  unlink($path) if -S $path;
  my $umask = umask(0177);    # never a moment with a socket anyone may connect to
  my $server = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Local => $path, Listen => 64)
    or die "hyperion-agent: cannot listen on $path: $!\n";
  umask($umask);
  chown(0, $user->{gid}, $path) && chmod(0660, $path) or die "hyperion-agent: $path: $!\n";
  $SIG{CHLD} = 'IGNORE';    # connections' processes are reaped by the kernel
  # The exporter waits for this line, and drops to the peer user's ids it names (uid, then the
  # groups, primary first).
  syswrite(STDOUT, "listening $user->{uid} @{ $user->{groups} }\n");
  while (1) {
    my $rin = '';
    vec($rin, fileno($server), 1) = 1;
    vec($rin, fileno(STDIN), 1) = 1;
    next if select(my $rout = $rin, undef, undef, undef) <= 0;
    if (vec($rout, fileno(STDIN), 1)) {
      unlink($path);
      rmdir($path =~ s{/[^/]+\z}{}r);    # the directory made for it, when nothing else is there
      exit 0;
    }
    my $client = $server->accept() or next;
    my $pid = fork();
    if (defined($pid) && $pid == 0) {
      close($server);
      $SIG{CHLD} = 'DEFAULT';    # the connection waits for the programs it runs
      exit 0 unless peer_allowed($client, $user);
      open(STDIN, '<&', $client) or exit 1;
      open(STDOUT, '>&', $client) or exit 1;
      close($client);
      binmode STDIN;
      binmode STDOUT;
      serve();
    }
    close($client);
  }
}

if (defined $LISTEN) {
  refuse_start('--listen needs --peer-user') unless defined $PEER_USER;
  listen_forever($LISTEN, start_user($PEER_USER));
}
if (defined $PEER_USER) {
  exit 0 unless peer_allowed(\*STDIN, start_user($PEER_USER));
}
serve();

sub refuse_start { die "hyperion-agent: $_[0]\n" }

sub start_user {
  my $user = eval { user_named($_[0]) };
  refuse_start(ref($@) eq 'HASH' ? $@->{message} : "no user $_[0]") unless $user;
  return $user;
}
