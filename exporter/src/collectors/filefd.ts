import { parseFileNr } from '../parsers/file-nr.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

export const filefdCollector: Collector = {
  name: 'filefd',
  description: 'Allocated file handles and the system-wide limit, from /proc/sys/fs/file-nr',
  defaultEnabled: true,
  async collect({ host }) {
    const nr = parseFileNr(await host.readFile(under(host.paths.procfs, 'sys/fs/file-nr')));
    const m = new FamilyBuilder();
    sample(
      m.gauge('hyperion_filefd_allocated', 'File handles allocated by the kernel, system-wide.'),
      nr.allocated,
    );
    sample(
      m.gauge('hyperion_filefd_maximum', 'The most file handles the kernel allocates (fs.file-max).'),
      nr.maximum,
    );
    return m.build();
  },
};
