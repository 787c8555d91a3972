ALTER TABLE `relays` ADD `pairing_token_hash` text;--> statement-breakpoint
ALTER TABLE `relays` ADD `pairing_expires` integer;