{#- The rows of a staging model that can be used: required fields present, dates parsed and not in the future (nor
    after the as-of date, see known_by), amounts not negative, a known customer, and the first record of any
    duplicate key. The quality gate
    (pipelines/lib/quality/quality.py) counts what this drops, rule by rule, so the two must agree. -#}
{% macro valid_rows(model, keys, dates, required=[], amounts=[]) -%}
    select {{ select_first_per(keys) }} s.*
    from {{ ref(model) }} as s
    where
        s.customer_id in (select a.customer_id from {{ ref('int_accounts_deduplicated') }} as a)
        {%- for column in dates %}
        and s.{{ column }} <= {{ known_by() }}
        {%- endfor %}
        {%- for column in required %}
        and nullif(trim(cast(s.{{ column }} as varchar)), '') is not null
        {%- endfor %}
        {%- for column in amounts %}
        and coalesce(s.{{ column }}, 0) >= 0
        {%- endfor %}
    {{ keep_first_per(keys, 's.' ~ dates[0]) }}
{%- endmacro %}
