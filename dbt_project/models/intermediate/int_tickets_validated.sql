-- One row per usable support ticket.
{{ valid_rows('stg_support__tickets', 'tickets') }}
