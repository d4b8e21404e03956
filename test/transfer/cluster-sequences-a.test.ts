import { clusterGroupTest } from './cluster-groups.js';

/**
 * Transfer sequences (sequences.test.ts) with the sender's and the recipient's rooms on two hubs behind nginx. 3b
 * (a room restarted with its data) is 2b's case from the other side: left to the runs on one hub, to keep this file
 * well under a minute.
 */
clusterGroupTest('sequences.test.js', ['1', '2', '2b', '3a']);
