{#- The last day whose events count: the configured as-of date (`radar run --as-of`, `scoring.as_of`), else today.
    Every validated model keeps only what is dated on or before it, so for every model downstream a later event has
    not happened yet: features, labels and scores of a past date can be rebuilt from a newer delivery. The value
    arrives as an ISO date that Python has already parsed, never as free text. -#}
{% macro known_by() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}
