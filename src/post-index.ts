import { runPost } from './post.js';
import { RESTORERS } from './registries/index.js';

void runPost({ restorers: RESTORERS });
