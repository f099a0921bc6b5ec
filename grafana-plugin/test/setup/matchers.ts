import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// findBy…/waitFor give up after 1 s by default: far too short on a machine shared by many builds.
configure({ asyncUtilTimeout: 10_000 });
