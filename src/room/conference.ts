import type { Room } from './room.js';

/** The room's part in a conference (room-api.md §5). */
export class ConferenceState {
  constructor(private readonly room: Room) {}
}
